"""The cases: Autobahn|Testsuite's groups 1-7 and 9 with its case ids, restated for fleetd, plus a few fleetd
cases (origin "fleetd", ids starting with "f") at the limits Autobahn does not probe.

fleetd is no echo server, so "the server echoes the message" becomes "the server handles the message as a
client command": text payloads are the `{"type":"ping"}` command (padded or split as the case needs), and
`{"type":"pong"}` coming back proves the message arrived whole. Payloads that cannot be a command (empty
messages, the 6.x UTF-8 vectors) are followed by a ping command: its pong proves the server accepted them
and kept the connection. Binary messages are refused with 1003 and messages over `--ws-max-message`
(16 KiB by default) with 1009 (docs/protocol.md); Autobahn's echo outcome is replaced by that documented one.

Every case ends like a polite client: after its frames it sends a close (1000) unless it sent one itself, so
every answer the server owes comes before the close echo, and a case needs no timeout to know that an
answer did not come. Each case states the RFC 6455 rule it probes and the outcome fleetd must produce.
"""

import utf8_vectors
from ws_wire import (OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT, close_payload,
                     frame)

MAX_MESSAGE = 16 * 1024  # fleetd's default --ws-max-message; the run starts fleetd with it
PING_CMD = b'{"type":"ping"}'
PONG = ("text", '{"type":"pong"}')
KOSME = utf8_vectors.KOSME
INVALID_KOSME = KOSME + bytes.fromhex("eda080") + b"edited"  # a UTF-16 surrogate in the middle


def ping_command(size: int) -> bytes:
    """The ping command, exactly `size` bytes long (at least 15): padded with a string member, or with
    whitespace when too short for one."""
    head, tail = b'{"type":"ping","pad":"', b'"}'
    if size >= len(head) + len(tail):
        return head + b"x" * (size - len(head) - len(tail)) + tail
    if size < len(PING_CMD):
        raise ValueError("a ping command has at least %d bytes" % len(PING_CMD))
    return b'{"type":"ping"' + b" " * (size - len(PING_CMD)) + b"}"


def filler(size: int) -> bytes:
    """Autobahn's repeated payload for large messages."""
    unit = b"BAsd7&jh23"
    return (unit * (size // len(unit) + 1))[:size]


class Expect:
    """What the server must do: the answers (in order; server pings are ignored), the close code it sends
    (its own, or its echo of ours), and how the TCP connection must end."""

    def __init__(self, answers=(), close=1000, ends=("eof",), label=None):
        self.answers = list(answers)
        self.close = close
        self.ends = tuple(ends)
        self.label = label  # says what the frames alone cannot (e.g. "only after the whole frame")

    def describe(self) -> str:
        if self.label:
            return self.label
        parts = [describe_answers(self.answers) or "no answer"]
        parts.append("close %s" % self.close)
        parts.append("server closes TCP" + (" (EOF or reset)" if "reset" in self.ends else ""))
        return "; ".join(parts)


def describe_answers(answers) -> str:
    out = []
    for kind, value in answers:
        if kind == "text":
            out.append("text " + (value if len(value) <= 40 else value[:37] + "..."))
        elif kind == "pong":
            out.append("pong(%s)" % (value.hex() if len(value) <= 8 else "%d bytes" % len(value)))
        else:
            out.append("%s(%d bytes)" % (kind, len(value)))
    if len(out) > 4 and len(set(out)) == 1:
        return "%d x %s" % (len(out), out[0])
    return ", ".join(out)


class Case:
    def __init__(self, cid, description, rule, run, expect, non_strict=None, grade="strict", origin="autobahn"):
        self.cid = cid
        self.description = description
        self.rule = rule  # RFC 6455's rule and fleetd's outcome, in words
        self.run = run  # run(connection): sends the case's frames (may wait for answers)
        self.expect = expect
        self.non_strict = non_strict  # an outcome Autobahn grades NON-STRICT (accepted, reported)
        self.grade = grade  # "strict" or "informational" (Autobahn's grade for the case)
        self.origin = origin


CASES = []


def case(*args, **kw):
    CASES.append(Case(*args, **kw))


def send_all(*frames, chop=None, framewise=False):
    """A run step: the frames back to back (one send), frame by frame, or in chops of `chop` bytes."""
    def run(c):
        if framewise:
            for f in frames:
                c.send(f)
        else:
            c.send(b"".join(frames), chop)
    return run


def text(payload, fin=True, rsv=0):
    return frame(OP_TEXT, payload, fin=fin, rsv=rsv)


def cont(payload, fin=True):
    return frame(OP_CONTINUATION, payload, fin=fin)


def fail(code, answers=()):
    return Expect(answers, close=code)


FAIL_1002 = "RFC 6455 5.2/7.1.7: fail the connection; fleetd sends close 1002 and closes TCP"
CHOPS = {None: "", 1: ", octet-wise chops", "frame": ", frame-wise chops"}


def chopped(frames, how):
    if how == "frame":
        return send_all(*frames, framewise=True)
    return send_all(*frames, chop=how)


# ---------------------------------------------------------------------------------------------- 1 Framing

_SIZES = [(1, 0), (2, 125), (3, 126), (4, 127), (5, 128), (6, 65535), (7, 65536)]


def _text_case(i, size, chop=None):
    cid = "1.1.%d" % i
    desc = "Send text message with payload of length %d%s" % (size, ", sent in chops of 997 octets" if chop else "")
    if size == 0:
        case(cid, desc, "An empty text message is valid; fleetd ignores it (no command) and answers the ping "
             "command after it", send_all(text(b""), text(PING_CMD)), Expect([PONG]))
    elif size <= MAX_MESSAGE:
        form = "7-bit" if size < 126 else "16-bit"
        case(cid, desc, "Length %d uses the %s length form; the padded ping command is answered" % (size, form),
             send_all(text(ping_command(size)), chop=chop), Expect([PONG]))
    else:
        form = "16-bit" if size <= 0xFFFF else "64-bit"
        case(cid, desc, "Above --ws-max-message (16 KiB): fleetd closes 1009 as soon as the %s length is read "
             "(Autobahn expects an echo; the limit is fleetd's documented behaviour)" % form,
             send_all(text(ping_command(size)), chop=chop), fail(1009))


def _binary_case(i, size, chop=None):
    desc = "Send binary message with payload of length %d%s" % (size, ", sent in chops of 997 octets" if chop else "")
    if size <= MAX_MESSAGE:
        case("1.2.%d" % i, desc, "fleetd accepts no binary message: close 1003 (Autobahn expects an echo)",
             send_all(frame(OP_BINARY, b"\xfe" * size), chop=chop), fail(1003))
    else:
        case("1.2.%d" % i, desc, "Over the limit: 1009 once the length is read, before the message type matters",
             send_all(frame(OP_BINARY, b"\xfe" * size), chop=chop), fail(1009))


for _i, _n in _SIZES:
    _text_case(_i, _n)
_text_case(8, 65536, chop=997)
for _i, _n in _SIZES:
    _binary_case(_i, _n)
_binary_case(8, 65536, chop=997)

# ------------------------------------------------------------------------------------------ 2 Pings/Pongs

_PONG_RULE = "RFC 6455 5.5.2/5.5.3: a ping is answered by a pong with the same payload"
case("2.1", "Send ping without payload", _PONG_RULE, send_all(frame(OP_PING)), Expect([("pong", b"")]))
case("2.2", "Send ping with small text payload", _PONG_RULE, send_all(frame(OP_PING, b"Hello, world!")),
     Expect([("pong", b"Hello, world!")]))
_BIN = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
case("2.3", "Send ping with small binary (non UTF-8) payload", _PONG_RULE, send_all(frame(OP_PING, _BIN)),
     Expect([("pong", _BIN)]))
case("2.4", "Send ping with binary payload of 125 octets", _PONG_RULE, send_all(frame(OP_PING, b"\xfe" * 125)),
     Expect([("pong", b"\xfe" * 125)]))
case("2.5", "Send ping with binary payload of 126 octets",
     "RFC 6455 5.5: control frames carry at most 125 bytes; fail with 1002, no pong",
     send_all(frame(OP_PING, b"\xfe" * 126)), fail(1002))
case("2.6", "Send ping with binary payload of 125 octets, sent in octet-wise chops", _PONG_RULE,
     send_all(frame(OP_PING, b"\xfe" * 125), chop=1), Expect([("pong", b"\xfe" * 125)]))
case("2.7", "Send unsolicited pong without payload", "RFC 6455 5.5.3: an unsolicited pong is ignored",
     send_all(frame(OP_PONG)), Expect([]))
case("2.8", "Send unsolicited pong with payload", "RFC 6455 5.5.3: an unsolicited pong is ignored",
     send_all(frame(OP_PONG, b"unsolicited pong payload")), Expect([]))
case("2.9", "Send unsolicited pong with payload, then ping with payload",
     "The pong is ignored, the ping answered", send_all(frame(OP_PONG, b"unsolicited pong payload"),
                                                        frame(OP_PING, b"ping payload")),
     Expect([("pong", b"ping payload")]))
_TEN = [b"payload-%d" % i for i in range(10)]
case("2.10", "Send 10 pings with payload", "Each ping gets its pong, in order",
     send_all(*[frame(OP_PING, p) for p in _TEN]), Expect([("pong", p) for p in _TEN]))
case("2.11", "Send 10 pings with payload, sent in octet-wise chops", "Each ping gets its pong, in order",
     send_all(*[frame(OP_PING, p) for p in _TEN], chop=1), Expect([("pong", p) for p in _TEN]))

# ---------------------------------------------------------------------------------------- 3 Reserved bits

_RSV_RULE = ("RFC 6455 5.2: RSV bits must be 0 unless an extension defines them (fleetd negotiates none): "
             "fail with 1002")
_RSV_ANSWERED = (_RSV_RULE + "; the message before it is answered first (Autobahn: NON-STRICT if that "
                 "answer is lost)")
case("3.1", "Send small text message with RSV = 1", _RSV_RULE, send_all(text(PING_CMD, rsv=1)), fail(1002))
for _cid, _rsv, _how in (("3.2", 2, None), ("3.3", 3, "frame"), ("3.4", 4, 1)):
    case(_cid, "Send small text message, then again with RSV = %d, then a ping%s" % (_rsv, CHOPS[_how]),
         _RSV_ANSWERED, chopped([text(PING_CMD), text(PING_CMD, rsv=_rsv), frame(OP_PING)], _how),
         fail(1002, [PONG]), non_strict=fail(1002))
case("3.5", "Send small binary message with RSV = 5", _RSV_RULE, send_all(frame(OP_BINARY, _BIN, rsv=5)),
     fail(1002))
case("3.6", "Send ping with RSV = 6", _RSV_RULE + "; no pong",
     send_all(frame(OP_PING, b"Hello, world!", rsv=6)), fail(1002))
case("3.7", "Send close with RSV = 7", _RSV_RULE + "; no close echo",
     send_all(frame(OP_CLOSE, close_payload(1000), rsv=7)), fail(1002))

# -------------------------------------------------------------------------------------------- 4 Opcodes

_OP_RULE = "RFC 6455 5.2: opcodes 3-7 and 11-15 are reserved: fail with 1002"
for _group, _ops in (("4.1", (3, 4, 5, 6, 7)), ("4.2", (11, 12, 13, 14, 15))):
    kind = "non-control" if _group == "4.1" else "control"
    for _j, _op in enumerate(_ops, start=1):
        _payload = b"reserved opcode payload" if _j in (2, 4, 5) else b""
        _cid = "%s.%d" % (_group, _j)
        if _j <= 2:
            case(_cid, "Send frame with reserved %s opcode = %d%s" % (kind, _op, " and payload" if _payload else ""),
                 _OP_RULE, send_all(frame(_op, _payload)), fail(1002))
        else:
            case(_cid, "Send small text message, then frame with reserved %s opcode = %d%s, then a ping"
                 % (kind, _op, " and payload" if _payload else ""),
                 _OP_RULE + "; the message before it is answered first (NON-STRICT if lost)",
                 send_all(text(PING_CMD), frame(_op, _payload), frame(OP_PING)), fail(1002, [PONG]),
                 non_strict=fail(1002))

# -------------------------------------------------------------------------------------- 5 Fragmentation

_F1, _F2 = b'{"type":', b'"ping"}'  # the ping command in two fragments
_REASSEMBLE = "RFC 6455 5.4: fragments are reassembled into one message: the ping command is answered"
case("5.1", "Send ping fragmented into 2 fragments", "RFC 6455 5.5: control frames must not be fragmented: 1002",
     send_all(frame(OP_PING, b"fragment1", fin=False), cont(b"fragment2")), fail(1002))
case("5.2", "Send pong fragmented into 2 fragments", "RFC 6455 5.5: control frames must not be fragmented: 1002",
     send_all(frame(OP_PONG, b"fragment1", fin=False), cont(b"fragment2")), fail(1002))
for _cid, _how in (("5.3", None), ("5.4", 1), ("5.5", "frame")):
    case(_cid, "Send text message fragmented into 2 fragments%s" % CHOPS[_how], _REASSEMBLE,
         chopped([text(_F1, fin=False), cont(_F2)], _how), Expect([PONG]))
for _cid, _how in (("5.6", None), ("5.7", 1), ("5.8", "frame")):
    case(_cid, "Send text message fragmented into 2 fragments, one ping with payload in-between%s" % CHOPS[_how],
         "RFC 6455 5.4: control frames may be injected between fragments; the ping is answered at once, the "
         "reassembled command after it",
         chopped([text(_F1, fin=False), frame(OP_PING, b"ping payload"), cont(_F2)], _how),
         Expect([("pong", b"ping payload"), PONG]))
_STRAY = "RFC 6455 5.4: a continuation frame needs a message to continue: fail with 1002"
for _cid, _how in (("5.9", None), ("5.10", 1), ("5.11", "frame")):
    case(_cid, "Send unfragmented text message after continuation frame with FIN = true, where there is no "
         "text message to continue%s" % CHOPS[_how], _STRAY,
         chopped([cont(b"non-continuation payload"), text(PING_CMD)], _how), fail(1002))
for _cid, _how in (("5.12", None), ("5.13", 1), ("5.14", "frame")):
    case(_cid, "Send unfragmented text message after continuation frame with FIN = false, where there is no "
         "text message to continue%s" % CHOPS[_how], _STRAY,
         chopped([cont(b"non-continuation payload", fin=False), text(PING_CMD)], _how), fail(1002))
case("5.15", "Send text message fragmented into 2 fragments, then continuation frame with FIN = false where "
     "there is nothing to continue, then unfragmented text message, all sent in one chop",
     _STRAY + "; the first message is answered first (NON-STRICT if lost)",
     send_all(text(_F1, fin=False), cont(_F2), cont(b"fragment3", fin=False), text(PING_CMD)),
     fail(1002, [PONG]), non_strict=fail(1002))
case("5.16", "Repeated 2x: continuation frame with FIN = false (nothing to continue), then text message "
     "fragmented into 2 fragments", _STRAY,
     send_all(*([cont(b"fragment1", fin=False), text(b"fragment2", fin=False), cont(b"fragment3")] * 2)), fail(1002))
case("5.17", "Repeated 2x: continuation frame with FIN = true (nothing to continue), then text message "
     "fragmented into 2 fragments", _STRAY,
     send_all(*([cont(b"fragment1"), text(b"fragment2", fin=False), cont(b"fragment3")] * 2)), fail(1002))
case("5.18", "Send text message fragmented into 2 fragments, with both frame opcodes set to text",
     "RFC 6455 5.4: a new message must not start inside an unfinished one: 1002",
     send_all(text(_F1, fin=False), text(_F2)), fail(1002))

_FIVE = [b'{"ty', b'pe":', b'"pi', b'ng"', b"}"]


def _five_fragments(framewise):
    def run(c):
        first = [text(_FIVE[0], fin=False), cont(_FIVE[1], fin=False), frame(OP_PING, b"pongme 1!")]
        rest = [cont(_FIVE[2], fin=False), cont(_FIVE[3], fin=False), frame(OP_PING, b"pongme 2!"), cont(_FIVE[4])]
        send_all(*first, framewise=framewise)(c)
        # Autobahn pauses 1 s here; waiting for the first pong proves it came while the message was unfinished.
        c.wait_for(lambda: ("pong", b"pongme 1!") in c.messages)
        send_all(*rest, framewise=framewise)(c)
    return run


case("5.19", "Send text message fragmented into 5 fragments, with 2 pings in-between (the second part "
     "after the first pong arrived)", "Pings are answered while the message is unfinished; then the command",
     _five_fragments(False), Expect([("pong", b"pongme 1!"), ("pong", b"pongme 2!"), PONG]))
case("5.20", "Same as 5.19, but every frame is sent on its own", "Same as 5.19: TCP chopping must not matter",
     _five_fragments(True), Expect([("pong", b"pongme 1!"), ("pong", b"pongme 2!"), PONG]))

# ------------------------------------------------------------------------------------- 6 UTF-8 handling

case("6.1.1", "Send text message of length 0", "Valid (empty) text; ignored; the following ping command is "
     "answered", send_all(text(b""), text(PING_CMD)), Expect([PONG]))
case("6.1.2", "Send fragmented text message, 3 fragments each of length 0",
     "Valid (empty) text; ignored; the following ping command is answered",
     send_all(text(b"", fin=False), cont(b"", fin=False), cont(b""), text(PING_CMD)), Expect([PONG]))
case("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty",
     _REASSEMBLE, send_all(text(b"", fin=False), cont(PING_CMD, fin=False), cont(b"")), Expect([PONG]))

_HELLO = b'{"type":"ping","text":"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"}'
_KOSME_CMD = b'{"type":"ping","text":"' + KOSME + b'"}'
_VALID = "RFC 6455 8.1: valid UTF-8, however fragmented, is accepted: the command inside is answered"
case("6.2.1", "Send a valid UTF-8 text message in one fragment", _VALID, send_all(text(_HELLO)), Expect([PONG]))
_cut = _HELLO.index(b"\xc3\x9f")  # a code point boundary
case("6.2.2", "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary",
     _VALID, send_all(text(_HELLO[:_cut], fin=False), cont(_HELLO[_cut:])), Expect([PONG]))


def _octet_fragments(payload):
    frames = [text(payload[:1], fin=len(payload) == 1)]
    frames += [cont(payload[i:i + 1], fin=i == len(payload) - 1) for i in range(1, len(payload))]
    return frames


case("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on "
     "positions which are not code points", _VALID, send_all(*_octet_fragments(_HELLO)), Expect([PONG]))
case("6.2.4", "Send a valid UTF-8 text message (κόσμε) in fragments of 1 octet", _VALID,
     send_all(*_octet_fragments(_KOSME_CMD)), Expect([PONG]))
_INVALID = "RFC 6455 8.1: text that is not UTF-8 fails the connection with 1007"
case("6.3.1", "Send invalid UTF-8 text message unfragmented", _INVALID, send_all(text(INVALID_KOSME)), fail(1007))
case("6.3.2", "Send invalid UTF-8 text message in fragments of 1 octet", _INVALID,
     send_all(*_octet_fragments(INVALID_KOSME)), fail(1007))


def _fail_fast_frames(parts):
    """6.4.1/6.4.2: three frames; the close must come after the second, before the third is sent."""
    def run(c):
        c.send(text(parts[0], fin=False))
        c.send(cont(parts[1], fin=False))
        if not c.wait_close_within(2.0):
            c.notes.append("no close after the invalid frame: sent the third")
            c.send(cont(parts[2]))
    return run


def _fail_fast_chops(parts):
    """6.4.3/6.4.4: one frame in three chops; fail-fast within a frame is probed with a short wait."""
    def run(c):
        whole = text(b"".join(parts))
        head = len(whole) - len(b"".join(parts))
        cut1, cut2 = head + len(parts[0]), head + len(parts[0]) + len(parts[1])
        c.send(whole[:cut1])
        c.send(whole[cut1:cut2])
        if c.wait_close_within(0.25):
            return
        c.notes.append("no close before the frame was complete")
        c.send(whole[cut2:])
    return run


_P641 = (KOSME, bytes.fromhex("f4908080"), b"edited")
_P642 = (KOSME + b"\xf4", b"\x90", b"\x80\x80edited")
_LATE_1007 = Expect([], 1007, label="close 1007 only after the rest of the message was sent")
_FF = ("RFC 6455 8.1: fail on invalid UTF-8 with 1007 as soon as it is seen (fail fast); the close comes "
       "before the third frame is sent (if only after it: NON-STRICT)")
case("6.4.1", "Send invalid UTF-8 text message in 3 fragments (frames); the 2nd holds U+110000 "
     "(f4908080)", _FF, _fail_fast_frames(_P641), fail(1007), non_strict=_LATE_1007)
case("6.4.2", "Same as 6.4.1, the invalid byte (0x90 after 0xf4) alone in the 2nd frame", _FF,
     _fail_fast_frames(_P642), fail(1007), non_strict=_LATE_1007)
_FFC = ("Fail with 1007. fleetd checks UTF-8 once a frame is complete (an unfinished frame is buffered, not "
        "parsed), so the close comes after the 3rd chop: Autobahn's NON-STRICT")
case("6.4.3", "Same as 6.4.1, but 3 chops of one frame", _FFC, _fail_fast_chops(_P641), fail(1007),
     non_strict=_LATE_1007)
case("6.4.4", "Same as 6.4.2, but 3 chops of one frame", _FFC, _fail_fast_chops(_P642), fail(1007),
     non_strict=_LATE_1007)

for _gi, (_title, _vectors) in enumerate(utf8_vectors.groups()):
    for _vi, (_ok, _v) in enumerate(_vectors, start=1):
        _cid = "6.%d.%d" % (5 + _gi, _vi)
        _desc = "%s: send text message with payload %s" % (_title, _v.hex() if len(_v) <= 24 else _v[:24].hex() + "...")
        if _ok:
            case(_cid, _desc, "Valid UTF-8: accepted (no command: ignored); the following ping command is answered",
                 send_all(text(_v), text(PING_CMD)), Expect([PONG]))
        else:
            case(_cid, _desc, _INVALID + "; nothing after it is answered",
                 send_all(text(_v), text(PING_CMD)), fail(1007))

# ------------------------------------------------------------------------------------- 7 Close handling

_ECHO = "RFC 6455 5.5.1: a close is answered with a close (fleetd echoes the code), then the server closes TCP"
case("7.1.1", "Send a message followed by a close frame", "The message is answered, then the close echoed",
     send_all(text(PING_CMD), frame(OP_CLOSE, close_payload(1000))), Expect([PONG], 1000))
case("7.1.2", "Send two close frames", _ECHO + "; the second close is ignored",
     send_all(frame(OP_CLOSE, close_payload(1000)), frame(OP_CLOSE, close_payload(1000))), Expect([], 1000))
case("7.1.3", "Send a ping after close message", "RFC 6455 5.5.1: nothing after a close is processed: no pong",
     send_all(frame(OP_CLOSE, close_payload(1000)), frame(OP_PING, b"ping payload")), Expect([], 1000))
case("7.1.4", "Send text message after sending a close frame", "Nothing after a close is processed: no answer",
     send_all(frame(OP_CLOSE, close_payload(1000)), text(PING_CMD)), Expect([], 1000))
case("7.1.5", "Send message fragment 1, then close, then fragment 2",
     "The unfinished message is dropped with the close: no answer",
     send_all(text(_F1, fin=False), frame(OP_CLOSE, close_payload(1000)), cont(_F2)), Expect([], 1000))
case("7.1.6", "Send 256K message followed by close then a ping",
     "Informational in Autobahn; fleetd: the 256 KiB message is over the limit: 1009",
     send_all(text(filler(256 * 1024)), text(PING_CMD), frame(OP_CLOSE, close_payload(1000)), frame(OP_PING)),
     fail(1009, []), grade="informational")
case("7.3.1", "Send a close frame with payload length 0 (no close code, no close reason)",
     "A close without code is answered; fleetd answers 1000 (Autobahn: normal or no code)",
     send_all(frame(OP_CLOSE)), Expect([], 1000))
case("7.3.2", "Send a close frame with payload length 1",
     "RFC 6455 5.5.1: a close body starts with a 2-byte code: 1002", send_all(frame(OP_CLOSE, b"a")), fail(1002))
case("7.3.3", "Send a close frame with payload length 2 (regular close with a code)", _ECHO,
     send_all(frame(OP_CLOSE, close_payload(1000))), Expect([], 1000))
case("7.3.4", "Send a close frame with close code and close reason", _ECHO,
     send_all(frame(OP_CLOSE, close_payload(1000, b"Hello World!"))), Expect([], 1000))
case("7.3.5", "Send a close frame with close code and close reason of maximum length (123)", _ECHO,
     send_all(frame(OP_CLOSE, close_payload(1000, b"*" * 123))), Expect([], 1000))
case("7.3.6", "Send a close frame with close code and close reason which is too long (124)",
     "RFC 6455 5.5: the close payload would be 126 bytes, over 125: 1002",
     send_all(frame(OP_CLOSE, close_payload(1000, b"*" * 124))), fail(1002))
case("7.5.1", "Send a close frame with invalid UTF-8 payload", "RFC 6455 5.5.1/8.1: the reason must be UTF-8: 1007",
     send_all(frame(OP_CLOSE, close_payload(1000, INVALID_KOSME))), fail(1007))
for _i, _code in enumerate((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999), start=1):
    case("7.7.%d" % _i, "Send close with valid close code %d" % _code, _ECHO + " (the echo carries %d)" % _code,
         send_all(frame(OP_CLOSE, close_payload(_code))), Expect([], _code))
for _i, _code in enumerate((1012, 1013, 1014), start=14):
    case("f7.7.%d" % _i, "Send close with valid close code %d (IANA registry, not in Autobahn's list)" % _code,
         _ECHO + " (the echo carries %d)" % _code, send_all(frame(OP_CLOSE, close_payload(_code))),
         Expect([], _code), origin="fleetd")
_BAD_CODE = ("RFC 6455 7.4: 0-999, 1004-1006, 1015 and 1016-2999 are not sendable codes (valid: 1000-1003, "
             "1007-1014, 3000-4999): 1002")
for _i, _code in enumerate((0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999), start=1):
    case("7.9.%d" % _i, "Send close with invalid close code %d" % _code, _BAD_CODE,
         send_all(frame(OP_CLOSE, close_payload(_code))), fail(1002))
case("f7.9.10", "Send close with invalid close code 1015 (reserved for TLS failures)", _BAD_CODE,
     send_all(frame(OP_CLOSE, close_payload(1015))), fail(1002), origin="fleetd")
for _i, _code in ((1, 5000), (2, 65535)):
    case("7.13.%d" % _i, "Send close with close code %d" % _code,
         "Informational in Autobahn (undefined by the spec); fleetd documents 1002 for codes above 4999",
         send_all(frame(OP_CLOSE, close_payload(_code))), fail(1002), grade="informational")

# ---------------------------------------------------------------------------------- 9 Limits/Performance

_K, _M = 1024, 1024 * 1024
_BIG = "Over --ws-max-message (16 KiB): fleetd fails with 1009 (Autobahn expects an echo of the whole message)"
# When fleetd fails a connection it reads and drops up to 64 KiB more, then closes; a client still sending
# megabytes may then see a reset after the close frame. Both ends are accepted for these cases.
_EOF_OR_RESET = ("eof", "reset")


def big_message(cid, desc, opcode, size, fragment=None, chop=None):
    def frames():
        if fragment is None:
            yield frame(opcode, filler(size))
            return
        unit = filler(fragment)
        for off in range(0, size, fragment):
            n = min(fragment, size - off)
            yield frame(opcode if off == 0 else OP_CONTINUATION, unit[:n], fin=off + n >= size)

    def run(c):
        c.send_stream(frames(), chop)
    case(cid, desc, _BIG, run, Expect([], 1009, _EOF_OR_RESET))


_SIZES_9 = (64 * _K, 256 * _K, 1 * _M, 4 * _M, 8 * _M, 16 * _M)
_FRAGS_9 = (64, 256, _K, 4 * _K, 16 * _K, 64 * _K, 256 * _K, _M, 4 * _M)
_CHOPS_9 = (64, 128, 256, 512, 1024, 2048)
for _op, _sub, _kind in ((OP_TEXT, "9.1", "text"), (OP_BINARY, "9.2", "binary")):
    for _i, _size in enumerate(_SIZES_9, start=1):
        big_message("%s.%d" % (_sub, _i), "Send %s message with payload of length %d" % (_kind, _size), _op, _size)
for _op, _sub, _kind in ((OP_TEXT, "9.3", "text"), (OP_BINARY, "9.4", "binary")):
    for _i, _frag in enumerate(_FRAGS_9, start=1):
        big_message("%s.%d" % (_sub, _i), "Send fragmented %s message of 4M, fragment size %d" % (_kind, _frag), _op,
                    4 * _M, _frag)
for _op, _sub, _kind in ((OP_TEXT, "9.5", "text"), (OP_BINARY, "9.6", "binary")):
    for _i, _chop in enumerate(_CHOPS_9, start=1):
        big_message("%s.%d" % (_sub, _i), "Send %s message of 1M in chops of %d octets" % (_kind, _chop), _op, _M,
                    chop=_chop)


def _round_trips(size, count=1000):
    def run(c):
        if size < len(PING_CMD):
            # Too short to be a command: Autobahn's `count` messages, ignored, then one command to prove it.
            c.send(b"".join(text(filler(size)) for _ in range(count)))
            c.send(text(PING_CMD))
            return
        msg = text(ping_command(size))
        for i in range(count):  # one at a time, as Autobahn does: each answer before the next message
            c.send(msg)
            if not c.wait_for(lambda: len(c.messages) > i):
                return
    return run


_RTT_SIZES = (0, 16, 64, 256, 1024, 4096)
for _i, _size in enumerate(_RTT_SIZES, start=1):
    case("9.7.%d" % _i, "Send 1000 text messages of payload size %d, each after the previous answer" % _size,
         "Every ping command is answered, in order" if _size else
         "Empty messages are ignored; the ping command after them is answered",
         _round_trips(_size), Expect([PONG] * (1000 if _size else 1)))
for _i, _size in enumerate(_RTT_SIZES, start=1):
    case("9.8.%d" % _i, "Send 1000 binary messages of payload size %d" % _size,
         "fleetd refuses binary messages: 1003 at the first (Autobahn expects 1000 echoes)",
         send_all(*[frame(OP_BINARY, b"\xfe" * _size)] * 1000), fail(1003))

# fleetd's own limit cases: exactly at --ws-max-message, one byte over, and many small frames.
case("f9.0.1", "Send a text message of exactly --ws-max-message (16384) bytes",
     "At the limit is allowed: the command is answered", send_all(text(ping_command(MAX_MESSAGE))), Expect([PONG]),
     origin="fleetd")
case("f9.0.2", "Send a text message of --ws-max-message + 1 (16385) bytes", "Over the limit: 1009",
     send_all(text(ping_command(MAX_MESSAGE + 1))), fail(1009), origin="fleetd")


def _fragments(payload, size):
    out = []
    for off in range(0, len(payload), size):
        chunk = payload[off:off + size]
        out.append(frame(OP_TEXT if off == 0 else OP_CONTINUATION, chunk, fin=off + size >= len(payload)))
    return out


case("f9.0.3", "Send a 16384-byte text message in 64-byte fragments",
     "The limit counts every fragment; at the limit the command is answered",
     send_all(*_fragments(ping_command(MAX_MESSAGE), 64)), Expect([PONG]), origin="fleetd")
case("f9.0.4", "Send a 16385-byte text message in 64-byte fragments",
     "The limit counts every fragment: 1009 at the fragment that crosses it",
     send_all(*_fragments(ping_command(MAX_MESSAGE + 1), 64)), fail(1009), origin="fleetd")
case("f9.0.5", "Send a 16384-byte text message in 16384 fragments of 1 byte",
     "Many small frames: reassembled, the command is answered",
     send_all(*_fragments(ping_command(MAX_MESSAGE), 1)), Expect([PONG]), origin="fleetd")
case("f9.0.6", "Send 1000 pings of 125 bytes back to back",
     "Every ping gets its pong, in order (fleetd pauses reading while answers queue, it drops none)",
     send_all(*[frame(OP_PING, b"%03d" % i + b"p" * 122) for i in range(1000)]),
     Expect([("pong", b"%03d" % i + b"p" * 122) for i in range(1000)]), origin="fleetd")
case("f9.0.7", "Send a frame declaring a 2^63 + 1 byte payload",
     "RFC 6455 5.2: the 64-bit length's most significant bit must be 0: 1002",
     send_all(bytes([0x81, 0xFF]) + (2 ** 63 + 1).to_bytes(8, "big") + b"\x00\x00\x00\x00"), fail(1002),
     origin="fleetd")
case("f9.0.8", "Send an unmasked text frame", "RFC 6455 5.1: a client frame must be masked: 1002",
     send_all(frame(OP_TEXT, PING_CMD, masked=False)), fail(1002), origin="fleetd")
case("f9.0.9", "Send a 100-byte text message with a 64-bit length field",
     "RFC 6455 5.2: the minimal number of bytes must encode the length: 1002",
     send_all(bytes([0x81, 0xFF]) + (100).to_bytes(8, "big") + b"\x00" * 4 + ping_command(100)), fail(1002),
     origin="fleetd")

