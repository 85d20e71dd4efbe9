"""What a site accepts beyond a valid signature, and install.sh's key commands.

A trusted key may expire (``components.edge.minisign``: ``expires YYYY-MM-DD`` in its
comment line); the site keeps a revocation list (``KEYID reason`` lines) that only grows.
A signature is dated by its own signed ``timestamp:N``, not the device clock, which an
offline box may have wrong (a year without NTP, or 1970 after a dead RTC): a release
signed while its key was valid installs, one signed after does not; a past expiry by the
device clock only warns. Whoever holds a key can backdate it, so expiry bounds forgotten
keys; a stolen key is revoked, and a revoked key's signatures are refused whatever their
date (docs/edge-images.md: Key expiry, Revocation).

Like ``minisign`` (stdlib only), this runs on the device: ``program()`` is both modules'
source, embedded in the bundle's ``install.sh``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from inferplane.components.edge.minisign import (
    PublicKey,
    SignatureError,
    day_text,
    key_text,
    read_public_key,
    signed_at,
    signer_name,
    trusted_keys,
    verify_file,
)

__all__ = ["accept", "merge_revoked", "parse_revoked", "program", "read_revoked", "revoked_text"]

# --- on the device: everything below runs appended to minisign.py (program()) ---

_KEY_ID = re.compile(r"^[0-9A-F]{16}$")


def parse_revoked(text: str, source: str) -> dict[str, str]:
    """Key id -> reason from a revocation list: ``KEYID reason`` lines, ``#`` comments.
    A line that is not one is an error (a list the site cannot read refuses, never
    accepts)."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key_id, _, reason = line.strip().partition(" ")
        if not _KEY_ID.match(key_id):
            raise SignatureError(
                f"{source} line {number}: {key_id!r} is not a key id (16 hex digits, "
                "as minisign prints it)"
            )
        found.setdefault(key_id, reason.strip() or "revoked")
    return found


def read_revoked(path: Path) -> dict[str, str]:
    """The revocation list at ``path``; none there is an empty list."""
    try:
        return parse_revoked(path.read_text(), str(path)) if path.is_file() else {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SignatureError(f"{path}: unreadable revocation list ({exc})") from exc


def revoked_text(revoked: dict[str, str]) -> str:
    lines = "".join(f"{key_id} {reason}\n" for key_id, reason in sorted(revoked.items()))
    return (
        "# revoked signing keys: KEYID reason (a release adds to this list, never removes)\n"
        + lines
    )


def merge_revoked(site: Path, more: dict[str, str]) -> list[str]:
    """Add ``more`` to the site's list at ``site`` (written beside, then renamed); the
    key ids it newly revokes. Nothing is ever removed: a release cannot un-revoke."""
    revoked = read_revoked(site)
    new = sorted(set(more) - set(revoked))
    if new:
        site.parent.mkdir(parents=True, exist_ok=True)
        partial = site.with_name(site.name + ".new")
        partial.write_text(revoked_text({**more, **revoked}))
        os.replace(partial, site)
    return new


def accept(key: PublicKey, comment: str, revoked: dict[str, str], now: float) -> list[str]:
    """Whether the site accepts a valid signature by ``key`` with trusted ``comment``:
    SignatureError if the key is revoked or had expired when it signed; warnings else."""
    if key.name in revoked:
        raise SignatureError(f"signed by key {key.name}, which is revoked ({revoked[key.name]})")
    if key.expires is None:
        return []
    at = signed_at(comment)
    expiry = day_text(key.expires)
    if at is None:
        raise SignatureError(
            f"key {key.name} expires {expiry} and the signature has no timestamp: in its "
            "trusted comment to date it (inferplane edge sign, or minisign -S without -t)"
        )
    if at >= key.expires:
        raise SignatureError(
            f"signed {day_text(at)} by key {key.name}, which expired {expiry}; sign with a "
            "current key (README: Signing keys and rotation)"
        )
    if now >= key.expires:
        # The device clock only warns: it may be wrong, the signature's date is not.
        return [f"key {key.name} expired {expiry} (device clock): rotate to a new key"]
    return []


def _verify(data: Path, signature: Path, keys: Path, revoked: dict[str, str]) -> int:
    try:
        trusted = trusted_keys(keys)
        if not trusted:
            raise SignatureError(f"no trusted keys in {keys}")
        if not signature.is_file():
            raise SignatureError(f"{signature.name} is missing: the bundle is not signed")
        key, comment = verify_file(data.read_bytes(), signature.read_text(), trusted)
        warnings = accept(key, comment, revoked, time.time())
    except (OSError, UnicodeDecodeError, SignatureError) as exc:
        print(f"SIGNATURE: {data.name}: {exc}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    print(f"signature ok: {data.name} signed by key {key.name} ({comment})")
    return 0


def _install_key(key: PublicKey, keys: Path) -> None:
    keys.mkdir(parents=True, exist_ok=True)
    path = keys / f"{key.name}.pub"
    path.write_text(key_text(key))
    path.chmod(0o644)


def _main(argv: list[str]) -> int:
    """install.sh's entry points (paths from the shell; REVOKED is the site's list):

    verify FILE SIGNATURE KEYS REVOKED [MORE]: FILE signed by a key in KEYS (a .pub or a
        directory), none revoked by REVOKED or MORE (the release's own list: unchecked yet,
        so it may only refuse more)
    trust KEY.pub KEYS REVOKED: KEY.pub into the directory KEYS, unless revoked
    revoke LIST REVOKED KEYS: LIST (a verified release's) added to REVOKED; revoked keys
        leave the directory KEYS
    adopt TRUST KEYS REVOKED: TRUST/*.pub (a verified release's) into the directory KEYS,
        revoked ones left out
    kept SIGNATURE REVOKED: fails if a kept release's SIGNATURE names a revoked key
    """
    command, args = argv[1], [Path(a) for a in argv[2:]]
    try:
        if command == "verify":
            more = read_revoked(args[4]) if len(args) > 4 else {}
            return _verify(args[0], args[1], args[2], {**more, **read_revoked(args[3])})
        revoked = read_revoked(args[1] if command in ("revoke", "kept") else args[2])
        if command == "trust":
            key = read_public_key(args[0])
            if key.name in revoked:
                raise SignatureError(f"key {key.name} is revoked ({revoked[key.name]})")
            _install_key(key, args[1])
            print(key.name)
        elif command == "revoke":
            for key_id in merge_revoked(args[1], read_revoked(args[0])):
                if args[2].is_dir():
                    (args[2] / f"{key_id}.pub").unlink(missing_ok=True)
                print(f"revoked key {key_id}: {read_revoked(args[1])[key_id]}")
        elif command == "adopt":
            for key in trusted_keys(args[0]):
                if key.name not in revoked:
                    _install_key(key, args[1])
        elif command == "kept":
            # Verified when it was installed; its signer may have been revoked since.
            name = signer_name(args[0].read_text()) if args[0].is_file() else ""
            if name in revoked:
                raise SignatureError(f"signed by key {name}, which is revoked ({revoked[name]})")
        else:
            raise SignatureError(f"unknown command {command!r}")
    except (OSError, UnicodeDecodeError, SignatureError) as exc:
        print(f"SIGNATURE: {exc}", file=sys.stderr)
        return 1
    return 0


_EMBEDDED = "# --- on the device:"


def program() -> str:
    """``minisign.py`` and this module from the marker on, plus the call, for
    ``python3 - COMMAND ARGS`` (``_main``): one stdlib-only script, no package needed."""
    from inferplane.components.edge import minisign

    own = Path(__file__).read_text()
    return (
        Path(minisign.__file__).read_text()
        + "\nimport os\nimport sys\n\n"
        + own[own.index(_EMBEDDED) : own.index("\n_EMBEDDED = ")]
        + '\nif __name__ == "__main__":\n    sys.exit(_main(sys.argv))\n'
    )
