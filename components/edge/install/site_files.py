"""Files EdgeSite puts on the site before a bundle installs: the site's TLS files and the
release signer's trusted public keys. Both scripts write each file beside its place and
rename it (``_WRITER``): a reader never sees half a key."""

from __future__ import annotations

from collections.abc import Mapping

from inferplane.components.edge.install.site_layout import Runtime, SiteLayout, q
from inferplane.components.edge.layout import (
    SITE_CA,
    SITE_TLS_CERT,
    SITE_TLS_DIR,
    SITE_TLS_KEY,
    SITE_TRUSTED_KEYS,
)

__all__ = ["tls_script", "trust_script"]

_WRITER = """\
#!/bin/bash
set -euo pipefail
umask {umask}
root={root}
{var}="$root"{directory}
install -d -m 0755 "${var}"
write() {{
{why}  cat > "${var}/$1.new"
  chmod {mode} "${var}/$1.new"
  {owner}mv -f "${var}/$1.new" "${var}/$1"
}}
"""

_PEM = """\
write {name} {mode} <<'PEM'
{pem}PEM
"""


def _writer(var: str, directory: str, layout: SiteLayout, **shape: str) -> str:
    """The script's head: ``$var`` is ``directory`` under ``$root``, ``write NAME ...``
    fills a file in it from stdin (``shape``: umask, mode, owner and why)."""
    return _WRITER.format(var=var, directory=q(directory), root=q(layout.root), **shape)


def _pem(name: str, mode: str, text: str) -> str:
    return _PEM.format(name=q(name.rsplit("/", 1)[1]), mode=mode, pem=text.strip() + "\n")


def tls_script(
    runtime: Runtime, cert: str, key: str, ca: str, layout: SiteLayout | None = None
) -> str:
    """The script that puts the site's TLS files in ``/etc/inferplane/tls`` (key 0600,
    root's: systemd hands it to the router with LoadCredential, the k3s install builds a
    Secret from it; under launchd the router runs as ``nobody``, which then owns it)."""
    for name, text in {"cert": cert, "key": key, "ca": ca}.items():
        body = text.strip()
        if not body.startswith("-----BEGIN ") or "PEM" in body.splitlines():
            raise ValueError(f"tls {name} is not a PEM block")
    head = _writer(
        "tls",
        SITE_TLS_DIR,
        layout or SiteLayout(),
        umask="077",
        mode='"$2"',
        owner='chown nobody "$tls/$1.new"\n  ' if runtime == "launchd" else "",
        why="  # Written beside, then renamed: a reader never sees half a key.\n",
    )
    pems = _pem(SITE_TLS_CERT, "0644", cert) + _pem(SITE_CA, "0644", ca)
    return head + pems + _pem(SITE_TLS_KEY, "0600", key)


def _key_line(name: str, text: str) -> str:
    """The ``write`` of one trusted key: the key line and a comment made here (the
    operator's comment is free text and stays on their side), which carries the key's
    expiry: a key the seed or EdgeSite wrote expires on the site as in the bundle."""
    from inferplane.components.edge.minisign import SignatureError, key_text, parse_public_key

    try:
        key = parse_public_key(text, name)
    except SignatureError as exc:
        raise ValueError(f"trusted key {name}: {exc}") from exc
    if name != f"{key.name}.pub":
        raise ValueError(f"trusted key {name!r} is not named after its key id ({key.name}.pub)")
    lines = " ".join(q(line) for line in key_text(key).splitlines())
    return f"printf '%s\\n' {lines} | write {q(name)}\n"


def trust_script(keys: Mapping[str, str], layout: SiteLayout | None = None) -> str:
    """The script that adds the release signer's public keys (``trust/<KEYID>.pub`` of
    the operator's bundle: name to minisign text) to the site's trusted keys, before the
    bundle's own install.sh verifies the signature -- what the seed does on a hand
    install. Keys already trusted stay; install.sh replaces the set on a signed rotation."""
    if not keys:
        raise ValueError("trust_script needs at least one public key")
    writes = "".join(_key_line(name, text) for name, text in sorted(keys.items()))
    shape = {"umask": "022", "mode": "0644", "owner": "", "why": ""}
    return _writer("keys", SITE_TRUSTED_KEYS, layout or SiteLayout(), **shape) + writes
