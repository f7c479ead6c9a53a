#!/usr/bin/env python3
"""Generates, once, the seed corpora of every fuzz target except the signed tokens (make_jwt_seeds.py).

Run from the repository root: python3 fuzz/make_seeds.py. Writes fuzz/corpus/<target>/<name>: small
valid and near-valid inputs in each target's input format (see the comment at the top of each target).
Rerunning rewrites the same files; commit them. Crash reproducers found later go beside them as crash_*.
"""
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])


def write(target: str, name: str, data) -> None:
    d = ROOT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data.encode() if isinstance(data, str) else data)


def frame(first: int, payload: bytes, masked: bool = True, mask: bytes = MASK) -> bytes:
    """One client frame; `first` is the whole first byte (FIN, RSV, opcode)."""
    m = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head = bytes([first, m | n])
    elif n <= 0xFFFF:
        head = bytes([first, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, m | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def text(s: str) -> bytes:
    return frame(0x81, s.encode())


def close(code: int, reason: str = "") -> bytes:
    return frame(0x88, struct.pack(">H", code) + reason.encode())


# ---- ws_frame_fuzz: limit selector, cut-table length N, N cuts, stream ----
def ws_frame(name: str, stream: bytes, limit: int = 7, cuts: bytes = b"") -> None:
    write("ws_frame_fuzz", name, bytes([limit, len(cuts)]) + cuts + stream)


ws_frame("hello_rfc", bytes([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]))
ws_frame("fragmented_with_ping", frame(0x01, b"Hel") + frame(0x89, b"ping!") + frame(0x80, b"lo") +
         frame(0x8A, b"") + close(1000, "bye"), cuts=bytes([1, 3, 7]))
ws_frame("len16", text("x" * 300), cuts=bytes([2, 5]))
ws_frame("len64_truncated", frame(0x82, b"\x00" * 70000)[:200], limit=6)  # the length form, not the bytes
ws_frame("too_big", text("y" * 40), limit=2)
ws_frame("unmasked", frame(0x81, b"hi", masked=False))
ws_frame("rsv_bit", frame(0xC1, b"hi"))
ws_frame("bad_utf8", frame(0x81, b"\xc3\x28"))
ws_frame("utf8_split", frame(0x01, "é".encode()[:1]) + frame(0x80, "é".encode()[1:] + "€".encode()), cuts=bytes([1]))
ws_frame("close_bad_code", close(1005))
ws_frame("close_one_byte", frame(0x88, b"\x03"))
ws_frame("ping_too_long", frame(0x89, b"p" * 126))
ws_frame("stray_continuation", frame(0x80, b"x"))
ws_frame("non_minimal_len", bytes([0x81, 0xFE, 0x00, 0x05]) + MASK + b"hello")
ws_frame("after_close", close(1000) + text("ignored"))

# ---- strict_json_fuzz ----
for name, doc in {
    "object": '{"a":1,"b":[true,false,null],"c":{"d":"e\\u00e9"},"f":-1.5e-3}',
    "duplicate": '{"org_id":"a","org_id":"b"}',
    "deep": "[" * 9 + "]" * 9,
    "trailing_comma": "[1,2,]",
    "comment": '{"a":1 /* no */}',
    "trailing_garbage": '{"a":1} x',
    "numbers": "[0,-0,1e308,-1e-308,18446744073709551615,-9223372036854775808,1.7976931348623157e308]",
    "escapes": '"\\ud83d\\ude00\\n\\t\\"\\\\\\/"',
    "lone_surrogate": '"\\ud800"',
    "token_claims": json.dumps({"iss": "https://issuer", "sub": "user_1", "exp": 1767225660,
                                "o": {"id": "org_1", "rol": "admin"}}),
}.items():
    write("strict_json_fuzz", name, doc)

# ---- accept_encoding_fuzz: available-codings byte (1: gzip, 2: br), then the Accept-Encoding value ----
for name, (avail, value) in {
    "chromium": (3, "gzip, deflate, br, zstd"),
    "gzip_only_file": (1, "gzip, deflate, br"),
    "weights": (3, "br;q=0.5, gzip;q=0.8, identity;q=0.1"),
    "refusals": (3, "br;q=0, gzip;Q=0.000, *;q=0"),
    "star": (2, "identity;q=0.5, *"),
    "malformed_q": (3, "br;q=1.5, gzip;q=.5, x-gzip;q=0.1234;level=9"),
    "empty": (3, ""),
    "blanks": (3, " ,\t, ,"),
}.items():
    write("accept_encoding_fuzz", name, bytes([avail]) + value.encode())

# ---- request_target_fuzz: <name> '\n' <target> ----
for name, (param, target) in {
    "plain": ("token", "/ws?token=abc.def_ghi-jkl"),
    "escaped_path": ("token", "/api/v1/devices/dev%5F1/telemetry?limit=10"),
    "plus_in_query": ("q", "/x?q=a+b&q=c"),
    "escaped_name": ("to ken", "/ws?to%20ken=1&token=2"),
    "repeated": ("since", "/ws?since=1&epoch=e&since=2"),
    "bare_name": ("token", "/ws?token&token=x"),
    "bad_escape": ("token", "/ws?token=%zz"),
    "absolute_form": ("token", "http://host/ws?token=a"),
    "empty_query": ("token", "/ws?"),
    "double_slash": ("a", "//a?a=1?b"),
}.items():
    write("request_target_fuzz", name, param + "\n" + target)

# ---- telemetry_codec_fuzz ----
for name, body in {
    "single": '{"ts":1767225500000,"lat":48.8566,"lon":2.3522}',
    "all_fields": '{"ts":"2025-12-31T23:59:00.250+01:00","lat":-33.9,"lon":151.2,"speed_kph":88.5,'
                  '"heading_deg":359.9,"altitude_m":-12,"accuracy_m":3.5,"battery_pct":100,'
                  '"attributes":{"z":1,"a":"x\\u0001y","m":true}}',
    "batch": json.dumps([{"ts": 1767225500000 + i, "lat": 10 + i, "lon": 20 - i, "speed_kph": None}
                         for i in range(3)]),
    "empty_array": "[]",
    "unknown_member": '{"ts":1767225500000,"lat":1,"lon":2,"extra":1}',
    "out_of_range": '{"ts":1767225500000,"lat":91,"lon":2}',
    "future": '{"ts":1767999999999,"lat":1,"lon":2}',
    "nested_attributes": '{"ts":1767225500000,"lat":1,"lon":2,"attributes":{"a":{"b":1}}}',
    "huge_exponent": '{"ts":1767225500000,"lat":1e400,"lon":2}',
    "float_ts": '{"ts":1767225500000.5,"lat":1,"lon":2}',
}.items():
    write("telemetry_codec_fuzz", name, body)

# ---- jwks_fuzz (documents beyond make_jwt_seeds.py's) ----
write("jwks_fuzz", "rfc7515_a3_set", '{"keys":[' + (pathlib.Path(__file__).resolve().parent.parent /
                                                     "tests/data/auth/rfc7515_a3.jwk").read_text().strip() + "]}")
write("jwks_fuzz", "rfc8037_ed25519",
      '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}')
write("jwks_fuzz", "private_member", '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}')
write("jwks_fuzz", "oct_key", '{"keys":[{"kty":"oct","k":"AAAA"}]}')
write("jwks_fuzz", "duplicate_kid", '{"keys":[{"kty":"OKP","kid":"a","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},'
                                    '{"kty":"OKP","kid":"a","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}')
write("jwks_fuzz", "ec_not_on_curve", '{"keys":[{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}')

# ---- jwt_fuzz: RFC vectors with their own key sets (selector 1: A.2 RSA, 2: A.3 P-256) ----
data = pathlib.Path(__file__).resolve().parent.parent / "tests/data/auth"
write("jwt_fuzz", "rfc7515_a2", b"\x01" + (data / "rfc7515_a2.jwt").read_bytes().strip())
write("jwt_fuzz", "rfc7515_a3", b"\x02" + (data / "rfc7515_a3.jwt").read_bytes().strip())
write("jwt_fuzz", "alg_none", b"\x00eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln")

# ---- http_request_fuzz: "@TOKEN@" becomes a valid admin token ----
KEY = "fk_fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"
H = "Host: fleet.fuzz.test\r\n"


def post(path: str, body: str, auth: str = "", extra: str = "") -> str:
    a = f"Authorization: Bearer {auth}\r\n" if auth else ""
    return f"POST {path} HTTP/1.1\r\n{H}{a}Content-Type: application/json\r\nContent-Length: {len(body.encode())}\r\n{extra}\r\n{body}"


def get(path: str, auth: str = "", extra: str = "") -> str:
    a = f"Authorization: Bearer {auth}\r\n" if auth else ""
    return f"GET {path} HTTP/1.1\r\n{H}{a}{extra}\r\n"


point = '{"ts":1767225500000,"lat":48.85,"lon":2.35}'
for name, req in {
    "health_pipelined": get("/healthz") + get("/readyz") + get("/metrics") + "HEAD /healthz HTTP/1.0\r\n\r\n",
    "ingest": post("/api/v1/telemetry", point, KEY),
    "ingest_chunked": f"POST /api/v1/telemetry HTTP/1.1\r\n{H}Authorization: Bearer {KEY}\r\nTransfer-Encoding: chunked\r\n\r\n"
                      f"{len(point):x}\r\n{point}\r\n0\r\n\r\n",
    "ingest_bad_key": post("/api/v1/telemetry", point, "fk_nope"),
    "devices": get("/api/v1/devices", "@TOKEN@") + post("/api/v1/devices", '{"name":"Truck 7"}', "@TOKEN@") + get("/api/v1/me", "@TOKEN@"),
    "history": get("/api/v1/devices/dev_00000000000000000000000000000000/telemetry?limit=5&since=0", "@TOKEN@"),
    "revoke": f"DELETE /api/v1/devices/dev_0123456789abcdef0123456789abcdef HTTP/1.1\r\n{H}Authorization: Bearer @TOKEN@\r\n\r\n",
    "dev_token": post("/dev/token", '{"user":"alice","org":"org_acme","role":"admin"}') + get("/.well-known/jwks.json"),
    "te_smuggle": f"POST /api/v1/telemetry HTTP/1.1\r\n{H}Transfer-Encoding: gzip, chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
    "two_hosts": f"GET /healthz HTTP/1.1\r\n{H}{H}\r\n",
    "bad_target": "GET /a%zz HTTP/1.1\r\n" + H + "\r\n",
    "upgrade_token": get("/ws?token=@TOKEN@", extra="Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n") + text('{"type":"ping"}').decode("latin-1"),
    "upgrade_repeated_token": get("/ws?token=a&token=b", extra="Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"),
    "upgrade_bad_version": get("/ws", extra="Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n"),
    "http10_keepalive": "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /nope HTTP/1.0\r\n\r\n",
}.items():
    write("http_request_fuzz", name, req.encode("latin-1"))

# ---- ws_session_fuzz: scene byte, then client frames ----
for name, (scene, frames) in {
    "ping_pong_close": (0x00, frame(0x89, b"hi") + text('{"type":"ping"}') + close(1000)),
    "first_message_auth": (0x01, text('{"type":"ping"}') + close(1001, "going")),
    "no_auth_text": (0x02, text('{"type":"ping"}')),
    "no_auth_bad_auth": (0x02, text('{"type":"auth","token":"x.y.z"}')),
    "resume_message": (0x03 | 0x04, text('{"type":"ping"}')),
    "resume_query_live_telemetry": (0x00 | 0x04 | 0x08 | 0x10, text('{"type":"ping"}') + frame(0x8A, b"")),
    "refresh_bad_token": (0x00 | 0x10, text('{"type":"auth","token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}')),
    "refresh_malformed": (0x00, text('{"type":"auth"}') + text('{"type":"auth","token":"a","since":1}')),
    "binary": (0x00, frame(0x82, b"\x00\x01")),
    "protocol_error_then_more": (0x00, frame(0x81, b"hi", masked=False) + b"\x00" * 64),
    "fragmented": (0x04, frame(0x01, b'{"type":') + frame(0x89, b"") + frame(0x80, b'"ping"}')),
    "too_big": (0x00, frame(0x81, b"x" * 17000)[:64]),  # the header says 17000 > 16 KiB: refused at once
    "close_bad_code": (0x00, close(1006)),
}.items():
    write("ws_session_fuzz", name, bytes([scene]) + frames)
