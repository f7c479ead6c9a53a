"""An RFC 6455 client written for the conformance run, sharing nothing with fleetd's framing code.

It writes any frame a test needs, valid or not (RSV bits, reserved opcodes, unmasked frames, lying length
fields), sends bytes in chops of any size, and reads the server's frames strictly: every server frame is
checked against the rules a server must follow (never masked, no RSV bit, known opcode, control frames
unfragmented and at most 125 bytes, minimal length encoding, text that is UTF-8, nothing after its close).

Python 3 standard library only.
"""

import base64
import hashlib
import os
import select
import socket
import struct
import time
import urllib.parse

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def mask(payload: bytes, key: bytes) -> bytes:
    """XORs `payload` with the 4-byte masking key (RFC 6455 5.3), fast enough for megabytes."""
    if not payload:
        return b""
    n = len(payload)
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def frame(opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0, masked: bool = True,
          key: bytes = None) -> bytes:
    """One client frame. `rsv` is the 3-bit RSV1-3 field; `opcode` may be any 4-bit value."""
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    n = len(payload)
    mbit = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n <= 0xFFFF:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not masked:
        return head + payload
    key = key if key is not None else os.urandom(4)
    return head + key + mask(payload, key)


def close_payload(code: int = None, reason: bytes = b"") -> bytes:
    return b"" if code is None else struct.pack("!H", code) + reason


class Frame:
    __slots__ = ("fin", "rsv", "opcode", "payload")

    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    def close_code(self):
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None


class ServerViolation(Exception):
    pass


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8", errors="strict")  # Python's codec refuses surrogates and overlongs
        return True
    except UnicodeDecodeError:
        return False


class Connection:
    """One client connection over a blocking TCP socket, each wait bounded by the case's deadline.

    Received frames are parsed as they arrive; `messages` collects what the server said (reassembled
    text/binary messages, pongs, pings) in order, `close` the server's close frame, `end` how the TCP
    connection ended ("eof", "reset", or None while open), `violations` every rule the server broke.
    """

    def __init__(self, host: str, port: int, deadline: float):
        self.deadline = deadline
        self.sock = socket.create_connection((host, port), timeout=self._remaining())
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # chops leave as separate segments
        self.rx = bytearray()
        self.messages = []  # ("text", str) | ("binary", bytes) | ("pong", bytes) | ("ping", bytes)
        self.close = None  # (code or None, reason bytes)
        self.close_sent = False
        self.end = None
        self.violations = []
        self.cut_short = False  # sending stopped at the server's close, maybe inside a frame
        self.notes = []  # what a case observed beyond the frames (e.g. "no close before the frame was complete")
        self._fragments = None  # (opcode, [payloads]) of an unfinished server message
        self._upgraded = False  # before the 101 answer, received bytes are HTTP, not frames

    # ---- time ----

    def _remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("case deadline passed")
        return left

    # ---- handshake ----

    def upgrade(self, target: str):
        """Sends the opening handshake and checks the 101 answer; returns the response head."""
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        while b"\r\n\r\n" not in self.rx:
            if not self._recv():
                raise ServerViolation("connection ended during the opening handshake")
        end = self.rx.index(b"\r\n\r\n") + 4
        head = bytes(self.rx[:end]).decode("latin-1")
        del self.rx[:end]
        lines = head.split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101 "):
            raise ServerViolation("handshake refused: " + lines[0])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1(key.encode() + ACCEPT_GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise ServerViolation("wrong Sec-WebSocket-Accept: %r" % headers.get("sec-websocket-accept"))
        if "upgrade" not in headers.get("connection", "").lower() or headers.get("upgrade", "").lower() != "websocket":
            raise ServerViolation("101 without Upgrade: websocket / Connection: upgrade")
        for unexpected in ("sec-websocket-extensions", "sec-websocket-protocol"):
            if unexpected in headers:
                raise ServerViolation("negotiated %s although the client offered none" % unexpected)
        self._upgraded = True
        self._parse()
        return head

    # ---- sending ----

    def send(self, data: bytes, chop: int = None):
        """Sends `data`, in separate send() calls of `chop` bytes when given. Reads whatever arrives
        meanwhile, and stops sending (as a client must) once the server's close frame or hang-up is seen."""
        step = chop or 65536
        for i in range(0, len(data), step):
            self.pump()
            if self.close is not None or self.end is not None:
                self.cut_short = True
                return
            self.sock.settimeout(self._remaining())
            try:
                self.sock.sendall(data[i:i + step])
            except (BrokenPipeError, ConnectionResetError):
                self.cut_short = True
                self.pump()
                return

    def send_stream(self, frames, chop: int = None, batch: int = 65536):
        """Sends frames from an iterable (generated lazily: megabytes of them), in batches of about
        `batch` bytes; stops as soon as the server has closed, so nothing is generated for nothing."""
        pending = []
        size = 0
        for f in frames:
            pending.append(f)
            size += len(f)
            if size >= batch:
                self.send(b"".join(pending), chop)
                pending, size = [], 0
                if self.close is not None or self.end is not None:
                    return
        if pending:
            self.send(b"".join(pending), chop)

    def send_frame(self, opcode, payload=b"", chop=None, **kw):
        self.send(frame(opcode, payload, **kw), chop)

    def send_close(self, code=None, reason=b"", chop=None):
        self.send(frame(OP_CLOSE, close_payload(code, reason)), chop)
        self.close_sent = True

    # ---- receiving ----

    def pump(self):
        """Reads what is already there without waiting."""
        while self.end is None:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if not readable or not self._recv():
                return

    def _recv(self) -> bool:
        """One recv() within the deadline; False at EOF or reset (recorded in `end`)."""
        self.sock.settimeout(self._remaining())
        try:
            data = self.sock.recv(1 << 16)
        except ConnectionResetError:
            self.end = "reset"
            return False
        except socket.timeout:
            raise TimeoutError("case deadline passed")
        if not data:
            self.end = "eof"
            return False
        self.rx += data
        if self._upgraded:
            self._parse()
        return True

    def wait_for(self, predicate):
        """Reads until predicate() holds or the server hangs up; bounded by the case deadline."""
        while not predicate():
            if self.end is not None or not self._recv():
                return predicate()
        return True

    def wait_close(self) -> bool:
        return self.wait_for(lambda: self.close is not None)

    def wait_close_within(self, seconds: float) -> bool:
        """Waits at most `seconds` for the server's close frame: only where a case probes whether the server
        fails fast (Autobahn 6.4.x), which no event can tell."""
        saved = self.deadline
        self.deadline = min(saved, time.monotonic() + seconds)
        try:
            return self.wait_close()
        except TimeoutError:
            return False
        finally:
            self.deadline = saved

    def finish(self):
        """Ends the case as a well-behaved client: unless it already did, sends a close (1000) - every
        answer the server owes comes before its echo - then answers the server's close if needed (with
        its code, or by hanging up when sending stopped inside a frame) and reads until the server hangs up."""
        try:
            if not self.close_sent and self.close is None and self.end is None:
                self.send_close(1000)
            self.wait_close()
            if self.close is not None and not self.close_sent and self.end is None:
                try:
                    if self.cut_short:
                        # Our last frame may be unfinished, so a close frame would be read as its payload:
                        # hang up our side instead, which ends the close handshake as well.
                        self.sock.shutdown(socket.SHUT_WR)
                    else:
                        self.send_close(self.close[0])
                except OSError:
                    pass
            while self.end is None and self._recv():
                pass
        finally:
            self.sock.close()

    def _parse(self):
        buf = self.rx
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n = b1 & 0x7F
            head = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n = struct.unpack("!H", buf[2:4])[0]
                head = 4
                if n < 126:
                    self.violations.append("non-minimal 16-bit length %d" % n)
            elif n == 127:
                if len(buf) < 10:
                    return
                n = struct.unpack("!Q", buf[2:10])[0]
                head = 10
                if n <= 0xFFFF or n >> 63:
                    self.violations.append("bad 64-bit length %d" % n)
            if b1 & 0x80:
                self.violations.append("server frame is masked")
                head += 4
            if len(buf) < head + n:
                return
            payload = bytes(buf[head:head + n])
            del buf[:head + n]
            self._on_frame(Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload))

    def _on_frame(self, f: Frame):
        if self.close is not None:
            self.violations.append("frame (opcode %d) after the server's close frame" % f.opcode)
            return
        if f.rsv:
            self.violations.append("server frame with RSV bits %d" % f.rsv)
        if f.opcode >= 8:
            if not f.fin or len(f.payload) > 125:
                self.violations.append("fragmented or oversized control frame")
            if f.opcode == OP_CLOSE:
                if len(f.payload) == 1:
                    self.violations.append("close frame with a 1-byte payload")
                if len(f.payload) >= 2 and not _is_utf8(f.payload[2:]):
                    self.violations.append("close reason is not UTF-8")
                self.close = (f.close_code(), f.payload[2:])
            elif f.opcode == OP_PING:
                self.messages.append(("ping", f.payload))
            elif f.opcode == OP_PONG:
                self.messages.append(("pong", f.payload))
            else:
                self.violations.append("reserved control opcode %d" % f.opcode)
            return
        if f.opcode == OP_CONTINUATION:
            if self._fragments is None:
                self.violations.append("continuation without a message")
                return
            self._fragments[1].append(f.payload)
        elif f.opcode in (OP_TEXT, OP_BINARY):
            if self._fragments is not None:
                self.violations.append("new message inside an unfinished one")
            self._fragments = (f.opcode, [f.payload])
        else:
            self.violations.append("reserved data opcode %d" % f.opcode)
            return
        if not f.fin:
            return
        opcode, parts = self._fragments
        self._fragments = None
        data = b"".join(parts)
        if opcode == OP_TEXT:
            if not _is_utf8(data):
                self.violations.append("text message is not UTF-8")
            self.messages.append(("text", data.decode("utf-8", errors="replace")))
        else:
            self.messages.append(("binary", data))


def http_post_json(host: str, port: int, path: str, body: bytes, timeout: float = 10.0) -> bytes:
    """A minimal HTTP/1.1 POST (the dev issuer's token endpoint); returns the response body of a 200."""
    import http.client
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError("POST %s answered %d: %r" % (path, resp.status, data[:200]))
        return data
    finally:
        conn.close()


def ws_target(token: str) -> str:
    return "/ws?token=" + urllib.parse.quote(token, safe="")
