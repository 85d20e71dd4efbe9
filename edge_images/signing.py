"""Signing bundles: minisign-compatible keys and signatures made with ``cryptography``.

``inferplane edge keygen`` writes an unencrypted minisign secret key (what ``minisign -G
-W`` writes) and its public key; ``edge build --signing-key`` (and ``edge sign``,
``edge pack-model --signing-key``) writes ``manifest.json.minisig``. Ed25519 is
deterministic and the comments are fixed, so the same manifest and key give the same
signature bytes (bundles stay byte-identical). A key made by ``minisign -G -W`` works
here too; encrypted minisign keys do not (sign with ``minisign -S`` itself then: the
installer checks any minisign signature of ``manifest.json``).

The site side (checking) is ``components.edge.minisign``; which keys a site trusts and
how that set rotates is ``TRUST_DIR`` below and the bundle README.

Keys expire: ``keygen`` writes ``expires YYYY-MM-DD`` into both key files' comment lines
(minisign ignores comments), the bundle's ``trust/<KEYID>.pub`` carries it to the site,
and every signature's trusted comment starts ``timestamp:N`` (as minisign -S writes it),
the date the site checks the expiry against. ``N`` is ``SOURCE_DATE_EPOCH`` when set,
else the start of the current UTC day: a day's builds stay byte-identical, and expiries
are whole UTC days, so nothing is lost. Revocations: ``revocations`` below.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from inferplane.components.edge.keyring import parse_revoked, revoked_text
from inferplane.components.edge.layout import SIGNATURE, TRUST_DIR, TRUST_REVOKED
from inferplane.components.edge.minisign import (
    PublicKey,
    SignatureError,
    day,
    day_text,
    key_text,
    parse_public_key,
)
from inferplane.errors import BuildError

__all__ = [
    "SecretKey",
    "keygen",
    "public_key_text",
    "read_revocations",
    "read_secret_key",
    "read_trusted",
    "revoke",
    "sign_bundle",
    "signing_time",
    "trust_files",
    "write_key_pair",
]

_KDF_NONE = b"\x00\x00"
_SIG_COMMENT = "untrusted comment: signature from inferplane edge build"
_EXPIRES = re.compile(r"\sexpires (\d{4}-\d{2}-\d{2})(?:\s|$)")
DEFAULT_LIFETIME_DAYS = 730
"""``edge keygen``'s default: two years, then a rotation (README: Signing keys)."""


@dataclass(frozen=True)
class SecretKey:
    """An Ed25519 signing key with its minisign key id."""

    key_id: bytes
    seed: bytes
    expires: int | None = None
    """Unix time (a UTC day's start) from which sites refuse its signatures; None for a
    key without one (made by minisign itself, or before keys expired)."""

    @property
    def private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(self.key_id, raw, "signing key", self.expires)


def public_key_text(key: PublicKey) -> str:
    return key_text(key)


def _expiry_note(expires: int | None) -> str:
    return f" expires {day_text(expires)}" if expires is not None else ""


def _secret_key_text(key: SecretKey) -> str:
    public = key.public.key
    secret = key.seed + public  # libsodium's 64-byte secret key
    check = hashlib.blake2b(b"Ed" + key.key_id + secret, digest_size=32).digest()
    raw = b"Ed" + _KDF_NONE + b"B2" + bytes(32) + bytes(8) + bytes(8) + key.key_id + secret + check
    return (
        "untrusted comment: minisign secret key (unencrypted; keep it off the devices)"
        f"{_expiry_note(key.expires)}\n"
        f"{base64.b64encode(raw).decode()}\n"
    )


def keygen(secret: Path, public: Path, days: int = DEFAULT_LIFETIME_DAYS) -> SecretKey:
    """A new key pair valid for ``days`` whole UTC days from today: ``secret`` (0600,
    never in a bundle) and ``public`` (what sites trust). Refuses to overwrite either."""
    if not 1 <= days <= 3650:
        raise BuildError(f"key lifetime {days} days: allowed 1 to 3650 (ten years)")
    for path in (secret, public):
        if path.exists():
            raise BuildError(f"{path} exists; keygen never overwrites a key (remove it first)")
    today = int(time.time()) // 86400 * 86400
    key = SecretKey(os.urandom(8), os.urandom(32), today + days * 86400)
    write_key_pair(key, secret, public)
    return key


def write_key_pair(key: SecretKey, secret: Path, public: Path) -> None:
    """``secret`` created 0600 (never overwritten), ``public`` beside it."""
    secret.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(_secret_key_text(key))
    public.parent.mkdir(parents=True, exist_ok=True)
    public.write_text(public_key_text(key.public))


def read_secret_key(path: Path) -> SecretKey:
    """An unencrypted minisign secret key; BuildError naming the problem."""
    try:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"signing key {path}: unreadable ({exc})") from exc
    body = lines[-1] if lines else ""
    expires = _EXPIRES.search(lines[0]) if len(lines) > 1 else None
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 158 or raw[:2] != b"Ed" or raw[4:6] != b"B2":
        raise BuildError(f"signing key {path} is not a minisign secret key")
    if raw[2:4] != _KDF_NONE:
        raise BuildError(
            f"signing key {path} is password-protected; allowed: an unencrypted key "
            "(inferplane edge keygen, or minisign -G -W). With an encrypted key, sign "
            "manifest.json with minisign -S -s KEY -m manifest.json yourself"
        )
    key_id, secret, check = raw[54:62], raw[62:126], raw[126:158]
    # minisign -W (0.11) leaves an unencrypted key's checksum zero; the public half
    # below still catches a corrupt key.
    computed = hashlib.blake2b(b"Ed" + key_id + secret, digest_size=32).digest()
    if check not in (computed, bytes(32)):
        raise BuildError(f"signing key {path}: checksum mismatch (corrupt key file)")
    try:
        key = SecretKey(key_id, secret[:32], day(expires.group(1)) if expires else None)
    except ValueError:
        raise BuildError(f"signing key {path}: its expiry is not a date (YYYY-MM-DD)") from None
    if key.public.key != secret[32:]:
        raise BuildError(f"signing key {path}: its public half does not match its seed")
    return key


def read_trusted(path: Path) -> PublicKey:
    try:
        return parse_public_key(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError, SignatureError) as exc:
        raise BuildError(f"--trust-key {path}: {exc}") from exc


def read_revocations(path: Path) -> dict[str, str]:
    """The operator's revocation list (``edge revoke`` keeps it): key id -> reason."""
    try:
        return parse_revoked(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError, SignatureError) as exc:
        raise BuildError(f"--revoked {path}: {exc}") from exc


def revoke(path: Path, key_id: str, reason: str) -> dict[str, str]:
    """Add ``key_id`` to the revocation list at ``path`` (made when absent); the list."""
    revoked = read_revocations(path) if path.exists() else {}
    reason = " ".join(reason.split()) or "revoked"
    try:
        added = parse_revoked(f"{key_id.upper()} {reason}", "--key")
    except SignatureError as exc:
        raise BuildError(str(exc)) from exc
    revoked = {**added, **revoked}
    path.write_text(revoked_text(revoked))
    return revoked


def trust_files(
    key: SecretKey | None, extra: list[PublicKey], revoked: dict[str, str] | None = None
) -> dict[str, str]:
    """Bundle path -> text for the trust set a site adopts after installing this release:
    the signing key and ``extra`` (a rotation's next key), and the revocation list. A
    revoked key is refused here: a site would never trust it again."""
    keys = ([key.public] if key is not None else []) + extra
    revoked = revoked or {}
    for k in keys:
        if k.name in revoked:
            raise BuildError(
                f"key {k.name} ({k.source}) is in the revocation list ({revoked[k.name]}); "
                "sign with and trust only keys that are not revoked"
            )
    files = {f"{TRUST_DIR}/{k.name}.pub": public_key_text(k) for k in keys}
    if revoked:
        files[TRUST_REVOKED] = revoked_text(revoked)
    return files


def signing_time() -> int:
    """The signature's timestamp: ``SOURCE_DATE_EPOCH`` when set, else the start of the
    current UTC day (a day's builds are byte-identical; expiries are whole days)."""
    fixed = os.environ.get("SOURCE_DATE_EPOCH")
    if fixed is not None:
        if not fixed.isdigit():
            raise BuildError(f"SOURCE_DATE_EPOCH={fixed!r}: allowed a unix time in seconds")
        return int(fixed)
    return int(time.time()) // 86400 * 86400


def sign_bundle(bundle: Path, key: SecretKey, at: int | None = None) -> str:
    """Write ``manifest.json.minisig`` for the bundle's manifest, dated ``at`` (default
    ``signing_time()``); returns the signer's id. An expired key is refused here as on
    the site."""
    at = signing_time() if at is None else at
    if key.expires is not None and at >= key.expires:
        raise BuildError(
            f"signing key {key.public.name} expired {day_text(key.expires)} (signing time "
            f"{day_text(at)}); make a new one with `inferplane edge keygen` and rotate to it"
        )
    data = (bundle / "manifest.json").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    prehashed = hashlib.blake2b(data, digest_size=64).digest()
    private = key.private
    signature = private.sign(prehashed)
    comment = f"timestamp:{at}\tinferplane edge bundle manifest sha256 {digest}"
    global_signature = private.sign(signature + comment.encode())
    (bundle / SIGNATURE).write_text(
        f"{_SIG_COMMENT}\n"
        f"{base64.b64encode(b'ED' + key.key_id + signature).decode()}\n"
        f"trusted comment: {comment}\n"
        f"{base64.b64encode(global_signature).decode()}\n"
    )
    return key.public.name
