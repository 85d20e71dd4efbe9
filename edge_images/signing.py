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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from inferplane.components.edge.layout import SIGNATURE, TRUST_DIR
from inferplane.components.edge.minisign import PublicKey, SignatureError, parse_public_key
from inferplane.errors import BuildError

__all__ = [
    "SecretKey",
    "keygen",
    "public_key_text",
    "read_secret_key",
    "read_trusted",
    "sign_bundle",
    "trust_files",
    "write_key_pair",
]

_KDF_NONE = b"\x00\x00"
_SIG_COMMENT = "untrusted comment: signature from inferplane edge build"


@dataclass(frozen=True)
class SecretKey:
    """An Ed25519 signing key with its minisign key id."""

    key_id: bytes
    seed: bytes

    @property
    def private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(self.key_id, raw, "signing key")


def public_key_text(key: PublicKey) -> str:
    raw = b"Ed" + key.key_id + key.key
    return f"untrusted comment: minisign public key {key.name}\n{base64.b64encode(raw).decode()}\n"


def _secret_key_text(key: SecretKey) -> str:
    public = key.public.key
    secret = key.seed + public  # libsodium's 64-byte secret key
    check = hashlib.blake2b(b"Ed" + key.key_id + secret, digest_size=32).digest()
    raw = b"Ed" + _KDF_NONE + b"B2" + bytes(32) + bytes(8) + bytes(8) + key.key_id + secret + check
    return (
        "untrusted comment: minisign secret key (unencrypted; keep it off the devices)\n"
        f"{base64.b64encode(raw).decode()}\n"
    )


def keygen(secret: Path, public: Path) -> SecretKey:
    """A new key pair: ``secret`` (0600, never in a bundle) and ``public`` (what sites
    trust). Refuses to overwrite either."""
    for path in (secret, public):
        if path.exists():
            raise BuildError(f"{path} exists; keygen never overwrites a key (remove it first)")
    key = SecretKey(os.urandom(8), os.urandom(32))
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
    key = SecretKey(key_id, secret[:32])
    if key.public.key != secret[32:]:
        raise BuildError(f"signing key {path}: its public half does not match its seed")
    return key


def read_trusted(path: Path) -> PublicKey:
    try:
        return parse_public_key(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError, SignatureError) as exc:
        raise BuildError(f"--trust-key {path}: {exc}") from exc


def trust_files(key: SecretKey | None, extra: list[PublicKey]) -> dict[str, str]:
    """Bundle path -> public key text for the keys a site trusts after installing this
    release: the signing key and ``extra`` (a rotation's next key)."""
    keys = ([key.public] if key is not None else []) + extra
    return {f"{TRUST_DIR}/{k.name}.pub": public_key_text(k) for k in keys}


def sign_bundle(bundle: Path, key: SecretKey) -> str:
    """Write ``manifest.json.minisig`` for the bundle's manifest; returns the signer's id."""
    data = (bundle / "manifest.json").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    prehashed = hashlib.blake2b(data, digest_size=64).digest()
    private = key.private
    signature = private.sign(prehashed)
    comment = f"inferplane edge bundle manifest sha256 {digest}"
    global_signature = private.sign(signature + comment.encode())
    (bundle / SIGNATURE).write_text(
        f"{_SIG_COMMENT}\n"
        f"{base64.b64encode(b'ED' + key.key_id + signature).decode()}\n"
        f"trusted comment: {comment}\n"
        f"{base64.b64encode(global_signature).decode()}\n"
    )
    return key.public.name
