"""Checking a bundle's signature: minisign's file formats, Ed25519 in plain Python.

A signed bundle carries ``manifest.json.minisig``, a minisign signature of
``manifest.json`` (which names every file's sha256, the pinned image digests and the
weights), so one signature covers the whole release. Operators can check it with
``minisign -V -p KEY.pub -m manifest.json``; sites check it with this module, which is
self-contained (stdlib only: ``hashlib``'s BLAKE2b and SHA-512, Python integers for the
curve) because its source is embedded in the bundle's ``install.sh`` (``program()``): a
device needs nothing beyond ``python3``, which ``install.sh verify`` already needs.

Formats (https://jedisct1.github.io/minisign/)::

    public key:  untrusted comment: ...\\n base64("Ed" || key id (8) || public key (32))
    signature:   untrusted comment: ...\\n base64("ED" || key id (8) || sig (64))
                 trusted comment: TEXT\\n base64(global sig (64))

``ED`` signs BLAKE2b-512(file) (minisign's default since 0.8), ``Ed`` the file itself;
the global signature signs ``sig || TEXT`` so the trusted comment cannot be swapped.
Verification only, never signing: a verifier that cannot sign cannot leak a key.

A key may carry an expiry (``expires YYYY-MM-DD`` in its comment line, which minisign
ignores) and a signature its date (``timestamp:N`` in the trusted comment, as minisign -S
writes it); what a site does with them is ``components.edge.keyring``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import re
import time
from pathlib import Path

__all__ = [
    "PublicKey",
    "SignatureError",
    "day",
    "day_text",
    "ed25519_verify",
    "key_text",
    "parse_public_key",
    "read_public_key",
    "signed_at",
    "signer_name",
    "trusted_keys",
    "verify_file",
]

_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_Point = tuple[int, int, int, int]


class SignatureError(ValueError):
    """The signature, or a key, is missing, malformed or does not match."""


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    if x2 % _P == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _add(a: _Point, b: _Point) -> _Point:
    # RFC 8032 section 5.1.4, extended homogeneous coordinates.
    p1 = (a[1] - a[0]) * (b[1] - b[0]) % _P
    p2 = (a[1] + a[0]) * (b[1] + b[0]) % _P
    p3 = 2 * a[3] * b[3] * _D % _P
    p4 = 2 * a[2] * b[2] % _P
    e, f, g, h = p2 - p1, p4 - p3, p4 + p3, p2 + p1
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(scalar: int, point: _Point) -> _Point:
    found: _Point = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            found = _add(found, point)
        point = _add(point, point)
        scalar >>= 1
    return found


def _same(a: _Point, b: _Point) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _decompress(data: bytes) -> _Point | None:
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0) or 0
_BASE: _Point = (_GX, _GY, 1, _GX * _GY % _P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 Ed25519 verification (cofactorless, as libsodium)."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _Q
    return _same(_mul(s, _BASE), _add(r, _mul(h, a)))


_EXPIRES = re.compile(r"(?:^|\s)expires (\d{4}-\d{2}-\d{2})(?:\s|$)")
_TIMESTAMP = re.compile(r"(?:^|\t)timestamp:(\d{1,12})(?:\t|$)")


def day(text: str) -> int:
    """``YYYY-MM-DD`` as the unix time of that UTC day's start; ValueError otherwise."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%d"))


def day_text(seconds: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


class PublicKey:
    """A minisign public key: its 8-byte key id and the Ed25519 public key."""

    def __init__(self, key_id: bytes, key: bytes, source: str, expires: int | None = None) -> None:
        self.key_id = key_id
        self.key = key
        self.source = source
        self.expires = expires
        """Unix time (a UTC day's start) from which the key's signatures are refused;
        None: the key never expires (minisign's own keys, keys made before expiry)."""

    @property
    def name(self) -> str:
        """The key id as minisign prints it (hex, most significant byte first)."""
        return self.key_id[::-1].hex().upper()


def key_text(key: PublicKey) -> str:
    """The key in minisign's public key format; its expiry rides in the comment line."""
    raw = base64.b64encode(b"Ed" + key.key_id + key.key).decode()
    expires = f" expires {day_text(key.expires)}" if key.expires is not None else ""
    return f"untrusted comment: minisign public key {key.name}{expires}\n{raw}\n"


def _b64(text: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(f"{what} is not base64 ({exc})") from exc
    if len(raw) != size:
        raise SignatureError(f"{what} holds {len(raw)} bytes; a minisign one holds {size}")
    return raw


def parse_public_key(text: str, source: str) -> PublicKey:
    """A public key file's text (comment line optional, as ``minisign -P`` takes it bare)."""
    lines = [line for line in text.splitlines() if line.strip()]
    expires = None
    if lines and lines[0].startswith("untrusted comment:"):
        found = _EXPIRES.search(lines[0])
        if found:
            try:
                expires = day(found.group(1))
            except ValueError:
                raise SignatureError(
                    f"{source}: expiry {found.group(1)!r} is not a date (YYYY-MM-DD)"
                ) from None
        lines = lines[1:]
    if not lines:
        raise SignatureError(f"{source}: no public key")
    raw = _b64(lines[0], 42, f"{source}: public key")
    if raw[:2] != b"Ed":
        raise SignatureError(f"{source}: algorithm {raw[:2]!r} is not Ed25519 ('Ed')")
    return PublicKey(raw[2:10], raw[10:], source, expires)


def read_public_key(path: Path) -> PublicKey:
    try:
        return parse_public_key(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise SignatureError(f"{path}: unreadable public key ({exc})") from exc


def trusted_keys(where: Path) -> list[PublicKey]:
    """The ``*.pub`` keys in the directory ``where`` (or the one key file ``where``)."""
    if where.is_file():
        return [read_public_key(where)]
    return [read_public_key(p) for p in sorted(where.glob("*.pub"))] if where.is_dir() else []


def signer_name(signature_text: str) -> str:
    """The key id a signature names (unchecked: whose signature it claims to be)."""
    lines = signature_text.splitlines()
    if len(lines) < 4:
        raise SignatureError("the signature is not a minisign signature (4 lines)")
    return _b64(lines[1], 74, "the signature")[2:10][::-1].hex().upper()


def verify_file(data: bytes, signature_text: str, keys: list[PublicKey]) -> tuple[PublicKey, str]:
    """(the key that signed, the trusted comment) for ``data`` signed by one of ``keys``;
    SignatureError saying why not otherwise."""
    lines = signature_text.splitlines()
    if len(lines) < 4 or not lines[2].startswith("trusted comment: "):
        raise SignatureError("the signature is not a minisign signature (4 lines)")
    raw = _b64(lines[1], 74, "the signature")
    algorithm, key_id, signature = raw[:2], raw[2:10], raw[10:]
    if algorithm == b"ED":
        message = hashlib.blake2b(data, digest_size=64).digest()
    elif algorithm == b"Ed":
        message = data
    else:
        raise SignatureError(f"signature algorithm {algorithm!r} is unknown; allowed: ED, Ed")
    key = next((k for k in keys if k.key_id == key_id), None)
    if key is None:
        trusted = ", ".join(k.name for k in keys) or "none"
        raise SignatureError(
            f"signed by key {key_id[::-1].hex().upper()}, which this site does not trust "
            f"(trusted: {trusted})"
        )
    if not ed25519_verify(key.key, message, signature):
        raise SignatureError(f"the signature does not match the file (key {key.name})")
    comment = lines[2].removeprefix("trusted comment: ")
    global_signature = _b64(lines[3], 64, "the global signature")
    if not ed25519_verify(key.key, signature + comment.encode(), global_signature):
        raise SignatureError(f"the trusted comment was altered (key {key.name})")
    return key, comment


def signed_at(comment: str) -> int | None:
    """The ``timestamp:N`` of a trusted comment (ours, and minisign -S's default)."""
    found = _TIMESTAMP.search(comment)
    return int(found.group(1)) if found else None
