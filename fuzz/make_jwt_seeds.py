#!/usr/bin/env python3
"""Generates, once, the key set and the signed seed tokens of jwt_fuzz (and jwks_fuzz's seed documents).

Run from the repository root: python3 fuzz/make_jwt_seeds.py  (needs python3-cryptography). It writes
fuzz/data/jwt_keys.jwks (public keys only; the private keys are thrown away) and
fuzz/corpus/jwt_fuzz/token_* and fuzz/corpus/jwks_fuzz/keys_*; commit them together. jwt_fuzz verifies at
kNowS = 1767225600 (2026-01-01T00:00:00Z), so the tokens are valid at that instant forever.
Each jwt_fuzz input is one key-set selector byte followed by the token (see fuzz/jwt_fuzz.cpp).
"""
import base64
import json
import pathlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

NOW = 1767225600
ISSUER = "https://issuer.fuzz.test"
AZP = "https://fleet.fuzz.test"
ROOT = pathlib.Path(__file__).resolve().parent


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int, size: int) -> str:
    return b64(n.to_bytes(size, "big"))


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
ed_key = ed25519.Ed25519PrivateKey.generate()

rn = rsa_key.public_key().public_numbers()
en = ec_key.public_key().public_numbers()
ed_raw = ed_key.public_key().public_bytes_raw()
jwks = {"keys": [
    {"kty": "RSA", "kid": "fuzz-rsa", "use": "sig", "alg": "RS256", "n": uint(rn.n, 256), "e": uint(rn.e, 3)},
    {"kty": "EC", "kid": "fuzz-ec", "crv": "P-256", "x": uint(en.x, 32), "y": uint(en.y, 32)},
    {"kty": "OKP", "kid": "fuzz-ed", "crv": "Ed25519", "x": b64(ed_raw)},
]}


def sign(alg: str, data: bytes) -> bytes:
    if alg == "RS256":
        return rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256":
        return rsa_key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    if alg == "ES256":
        r, s = decode_dss_signature(ec_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return ed_key.sign(data)


def token(alg: str, kid, claims: dict, typ="JWT") -> str:
    header = {"alg": alg}
    if typ:
        header["typ"] = typ
    if kid:
        header["kid"] = kid
    signing_input = b64(compact(header)) + "." + b64(compact(claims))
    return signing_input + "." + b64(sign(alg, signing_input.encode()))


v2 = {"iss": ISSUER, "sub": "user_fuzz", "sid": "sess_fuzz", "azp": AZP, "iat": NOW - 10, "nbf": NOW - 10,
      "exp": NOW + 60, "v": 2, "o": {"id": "org_fuzz", "rol": "admin", "slg": "fuzz"}}
v1 = {"iss": ISSUER, "sub": "user_fuzz", "azp": AZP, "iat": NOW - 10, "exp": NOW + 60, "org_id": "org_fuzz",
      "org_role": "org:member"}
personal = {k: v for k, v in v2.items() if k != "o"}
pending = dict(personal, sts="pending")
expired = dict(v2, exp=NOW - 100, iat=NOW - 200, nbf=NOW - 200)

seeds = {
    "rs256_v2": token("RS256", "fuzz-rsa", v2),
    "rs256_v1": token("RS256", "fuzz-rsa", v1),
    "ps256_alg_mismatch": token("PS256", "fuzz-rsa", v2),  # the JWK restricts the RSA key to RS256
    "es256_v2": token("ES256", "fuzz-ec", v2),
    "eddsa_v2": token("EdDSA", "fuzz-ed", v2),
    "eddsa_personal": token("EdDSA", "fuzz-ed", personal),
    "es256_pending": token("ES256", "fuzz-ec", pending),
    "rs256_expired": token("RS256", "fuzz-rsa", expired),
    "es256_no_kid": token("ES256", None, v2, typ=None),
    "rs256_unknown_kid": token("RS256", "other", v2),
}

(ROOT / "data").mkdir(exist_ok=True)
(ROOT / "data" / "jwt_keys.jwks").write_text(json.dumps(jwks, indent=1) + "\n")
jwt_dir = ROOT / "corpus" / "jwt_fuzz"
jwt_dir.mkdir(parents=True, exist_ok=True)
for name, tok in seeds.items():
    (jwt_dir / f"token_{name}").write_bytes(b"\x00" + tok.encode())
jwks_dir = ROOT / "corpus" / "jwks_fuzz"
jwks_dir.mkdir(parents=True, exist_ok=True)
(jwks_dir / "keys_fuzz").write_text(json.dumps(jwks))
for i, key in enumerate(jwks["keys"]):
    (jwks_dir / f"keys_single_{key['kty'].lower()}").write_text(json.dumps({"keys": [key]}))
