"""A site's secrets: its TLS certificate (from a per-site CA) and the API key the stack's
router presents to it. Made by ``inferplane edge build`` into a directory beside the
bundle (``<bundle>.secrets``, mode 0700), never into the bundle: the bundle carries only
the key's salted hash (in the site's router.json) and nothing private.

Files (created when absent, reused after, so the same secrets give the same bundle)::

    ca.pem, ca.key      the site CA (ten years); ca.pem is public, ca.key stays here
    tls.crt, tls.key    the site router's certificate (two years) for the site's names:
                        the site name, ``<site>-edge``, its address, localhost, 127.0.0.1
    site-key.json       {"keys": [{"id", "salt", "key"}, ...]}: newest first, at most two

How they reach where they are used:

- ``tls.crt``, ``tls.key``, ``ca.pem`` go to the site's ``/etc/inferplane/tls`` (EdgeSite
  copies them over SSH as a secret; by hand: ``install -m 0600``);
- the newest key in ``site-key.json`` goes to the stack router's secret store at the
  target's ``key_secret`` and ``ca.pem`` at ``ca_secret`` (``docs/edge.md``).

Rotation: ``rotate_key=True`` adds a new key and keeps the previous one accepted (both
hashes are in router.json) until the next rotation; deploy the bundle, update the stack
router's secret, rotate again later to drop the old one. A certificate within 30 days of
expiry, or whose names no longer cover the site's, is reissued from the CA at build time.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from inferplane.components.edge.layout import (
    SECRETS_CA,
    SECRETS_CERT,
    SECRETS_KEY,
    SITE_API_KEY,
    secrets_dir,
)
from inferplane.errors import BuildError
from inferplane.router.auth import hash_key
from inferplane.router.config import KeyConfig

__all__ = ["SITE_KEY_ID", "SiteSecrets", "secrets_dir", "site_secrets"]

SITE_KEY_ID = "stack-router"
"""Key id prefix the site's router knows the stack's router by (``stack-router-<n>``)."""
_CA_DAYS = 3650
_CERT_DAYS = 730
_RENEW_SECONDS = 30 * 86400


@dataclass(frozen=True)
class SiteSecrets:
    directory: Path
    keys: tuple[KeyConfig, ...]
    """The hashes the site's router accepts from the stack's router (newest first)."""

    @property
    def ca(self) -> Path:
        return self.directory / SECRETS_CA

    @property
    def cert(self) -> Path:
        return self.directory / SECRETS_CERT

    @property
    def key(self) -> Path:
        return self.directory / SECRETS_KEY


def site_secrets(
    directory: Path, site: str, names: list[str], *, rotate_key: bool = False
) -> SiteSecrets:
    """The secrets of ``site`` in ``directory``, made or renewed as needed."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise BuildError("openssl is not installed (apt-get install -y openssl)")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    if not (directory / SECRETS_CA).is_file() or not (directory / "ca.key").is_file():
        _ca(openssl, directory, site)
    if not _cert_ok(openssl, directory, names):
        _leaf(openssl, directory, site, names)
    return SiteSecrets(directory, _keys(directory / SITE_API_KEY, rotate_key))


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"{' '.join(argv[:3])} failed: {done.stderr.strip()}")
    return done.stdout


def _ca(openssl: str, directory: Path, site: str) -> None:
    key = directory / "ca.key"
    _run([openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-out", str(key)])  # fmt: skip
    key.chmod(0o600)
    _run([
        openssl, "req", "-x509", "-new", "-key", str(key), "-sha256", "-days", str(_CA_DAYS),
        "-subj", f"/O=inferplane/CN=inferplane edge CA {site}",
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-out", str(directory / SECRETS_CA),
    ])  # fmt: skip
    (directory / SECRETS_CERT).unlink(missing_ok=True)


def _san(names: list[str]) -> str:
    entries = []
    for name in names:
        kind = "IP" if name.replace(".", "").isdigit() or ":" in name else "DNS"
        entries.append(f"{kind}:{name}")
    return ",".join(entries)


def _cert_ok(openssl: str, directory: Path, names: list[str]) -> bool:
    cert = directory / SECRETS_CERT
    if not cert.is_file() or not (directory / SECRETS_KEY).is_file():
        return False
    expiring = subprocess.run(
        [openssl, "x509", "-in", str(cert), "-noout", "-checkend", str(_RENEW_SECONDS)],
        capture_output=True,
        check=False,
    )
    if expiring.returncode != 0:
        return False
    text = _run([openssl, "x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"])
    listed = text.split("\n", 1)[-1].split(",")
    present = {part.strip().replace("IP Address:", "IP:") for part in listed}
    chained = subprocess.run(
        [openssl, "verify", "-CAfile", str(directory / SECRETS_CA), str(cert)],
        capture_output=True,
        check=False,
    )
    return chained.returncode == 0 and set(_san(names).split(",")) <= present


def _leaf(openssl: str, directory: Path, site: str, names: list[str]) -> None:
    key = directory / SECRETS_KEY
    _run([openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-out", str(key)])  # fmt: skip
    key.chmod(0o600)
    with tempfile.TemporaryDirectory() as tmp:
        csr = Path(tmp) / "site.csr"
        ext = Path(tmp) / "ext.cnf"
        ext.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            f"subjectAltName={_san(names)}\n"
        )
        _run([openssl, "req", "-new", "-key", str(key), "-subj",
              f"/O=inferplane/CN={site}", "-out", str(csr)])  # fmt: skip
        _run([
            openssl, "x509", "-req", "-in", str(csr), "-CA", str(directory / SECRETS_CA),
            "-CAkey", str(directory / "ca.key"), "-CAcreateserial", "-sha256",
            "-days", str(_CERT_DAYS), "-extfile", str(ext), "-out", str(directory / SECRETS_CERT),
        ])  # fmt: skip
    (directory / "ca.srl").unlink(missing_ok=True)


def _keys(path: Path, rotate: bool) -> tuple[KeyConfig, ...]:
    stored: list[dict[str, str]] = []
    if path.is_file():
        try:
            stored = list(json.loads(path.read_text())["keys"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BuildError(
                f"{path} is not a site key file ({exc}); remove it to start over"
            ) from exc
    if rotate or not stored:
        serial = 1 + max((int(k["id"].rsplit("-", 1)[-1]) for k in stored), default=0)
        fresh = {
            "id": f"{SITE_KEY_ID}-{serial}",
            "salt": secrets.token_hex(16),
            "key": "ipe-" + secrets.token_urlsafe(32),
        }
        stored = [fresh, *stored][:2]
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"keys": stored}, indent=1) + "\n")
        tmp.chmod(0o600)
        tmp.replace(path)
    return tuple(
        KeyConfig(id=k["id"], salt=k["salt"], sha256=hash_key(k["key"], k["salt"])) for k in stored
    )
