"""README.md inside a Linux bundle: the operator's guide for this site (install, verify,
update, rollback, offline model transfer, troubleshooting). Installed on the site at
``SitePaths.doc``, where the router unit's ``Documentation=`` points. Rendered from fixed
text and the bundle's own facts, so it is as reproducible as the rest of the bundle."""

from __future__ import annotations

from collections.abc import Sequence

from inferplane.components.edge.layout import (
    MODELS_DIR,
    SIGNATURE,
    SITE_REVOKED_KEYS,
    SITE_TLS_DIR,
    SITE_TRUSTED_KEYS,
    TRUST_DIR,
    TRUST_REVOKED,
    SitePaths,
)

__all__ = ["bundle_readme"]


def bundle_readme(
    site: str,
    profile: str,
    arches: Sequence[str],
    models: Sequence[tuple[str, str, Sequence[str]]],
    health: Sequence[str],
) -> str:
    """``models``: (target, model, files its server opens below the models directory)."""
    paths = SitePaths()
    rows = "".join(
        f"| `{target}` | `{model}` | {', '.join(f'`{f}`' for f in files) or '(a directory)'} |\n"
        for target, model, files in models
    )
    gates = "".join(f"- `{url}`\n" for url in health)
    return f"""\
# inferplane edge bundle: site `{site}`

Profile `{profile}` ({", ".join(arches)}). Everything here installs offline; every file is
listed with its size and sha256 in `manifest.json`, and `{SIGNATURE}` is a minisign
(Ed25519) signature of `manifest.json`: one signature covers every file, image digest
and weight.

| target | model | weight files the server opens (in `{paths.models}`) |
|---|---|---|
{rows}
## Before you start

- Run `./fetch-images.sh` on a machine that reaches the registries (needs `skopeo`): it
  copies every pinned model-server image into `k3s/agent/images/`.
- Put the model weights in the bundle (see *Offline model transfer*).
- Copy the site's TLS files from the secrets directory `inferplane edge build` wrote
  beside the bundle (`<bundle>.secrets/`): `tls.crt`, `tls.key` (mode 0600) and `ca.pem`
  to `{SITE_TLS_DIR}/`. They are never inside the bundle.

## Verify

    sudo ./install.sh verify                                   # on the site
    INFERPLANE_TRUSTED_KEYS=edge.pub ./install.sh verify       # anywhere else
    minisign -V -p edge.pub -m manifest.json                   # the signature alone

Checks the signature of `manifest.json` against the site's trusted keys
(`{SITE_TRUSTED_KEYS}/*.pub`), then every file's sha256 against `manifest.json`, every
image archive against its pinned digest, and that the weights listed in
`install.weights` are listed files. It needs only `python3` (and coreutils): the
signature check is plain Python (`hashlib` BLAKE2b/SHA-512 and Ed25519 arithmetic), so
neither `minisign` nor `curl` has to be on the device. Any `MISMATCH:` or `SIGNATURE:`
line means the copy is damaged, tampered with or not from a trusted signer: do not
install it. An unsigned bundle is refused unless you pass `--allow-unsigned` (logged;
it never changes the trusted keys).

## Install

    sudo ./install.sh systemd      # podman + systemd units, no Kubernetes
    sudo ./install.sh k3s          # k3s airgap images and manifests (and k3s itself,
                                   # when the bundle was built with --k3s-dir)

The site trusts the signing keys its cloud-init seed wrote to `{SITE_TRUSTED_KEYS}/`.
A device not provisioned from the seed needs the key once, given out of band:
`sudo ./install.sh systemd --trust edge.pub` (compare the key id it prints with the one
`inferplane edge keygen` printed).

The bundle is verified, copied to `/opt/inferplane/releases/<manifest sha256>/` (verified
again) and switched to with the `/opt/inferplane/current` symlink. The model weights are
copied into `{paths.models}` after a free-disk check (nothing is activated if they do
not fit). The release counts as live when these answer within
`INFERPLANE_HEALTH_SECONDS` (default 300):

{gates}
(under k3s also each model server's Deployment rollout). If they do not, the previous
release is switched back and restarted, and the command fails with the reason.

## Update

Build the new bundle with `inferplane edge build` (same secrets directory), fetch its
images, copy it to the device and run `sudo ./install.sh systemd` (or `k3s`) from it.
The last `INFERPLANE_KEEP_RELEASES` (default 3) releases are kept, always including the
live one and the one a rollback returns to.

## Signing keys and rotation

`inferplane edge keygen --secret edge.key` makes a key pair (the secret stays on the build
machine, never on a device); `inferplane edge build --signing-key edge.key` signs. A
release that goes live replaces the site's trusted keys with its own `{TRUST_DIR}/` set
(only when its signature verified). To move to a new key:

1. `inferplane edge keygen --secret next.key`
2. build and install a release signed by the current key that also trusts the next one:
   `inferplane edge build ... --signing-key edge.key --trust-key next.pub`
3. from then on sign with `--signing-key next.key` (its `{TRUST_DIR}/` holds only the
   new key): the old key is no longer trusted once that release is live.

Keys expire (`inferplane edge keygen --days N`; the date is in the `.pub` comment line): a
signature dated, by its own signed timestamp, on or after the key's expiry is refused, so
rotate before then. A past expiry by the device clock only warns.

A lost or leaked key: revoke it. `inferplane edge revoke --revoked revoked-keys --key ID
--reason ...`, then build and install a release signed by a still-trusted key with
`--revoked revoked-keys`: its `{TRUST_REVOKED}` joins `{SITE_REVOKED_KEYS}`, from which
nothing is ever removed; the key's signatures are refused whatever their date.
A bundle changed after the build (`edge pack-model`) loses its signature; sign it again
with `edge pack-model --signing-key` or `inferplane edge sign --bundle ... --signing-key ...`.

## Rollback and status

    sudo /opt/inferplane/current/install.sh status     # live, rollback target, kept, last event
    sudo /opt/inferplane/current/install.sh rollback   # back to the previous release

Every activation and rollback is logged in `/opt/inferplane/releases.log`.

## Offline model transfer

On a machine that has the weights (downloaded and vetted there):

    inferplane edge pack-model --bundle <bundle> --target <target> <file.gguf | safetensors dir>

The weights are copied into `{MODELS_DIR}/<target>/` with each file's size and sha256 in
`manifest.json`; the file name must be the one the target's server opens (table above),
and the weights must fit the profile's disk and memory. Carry the whole bundle to the
site (USB, scp) and install it: the installer refuses a weight file whose sha256 differs.

## Troubleshooting

- `MISMATCH: <file>: sha256 mismatch`: the copy is damaged or altered; copy it again.
- `SIGNATURE: ... is missing`, `... does not match the file`, `signed by key X, which
  this site does not trust`: rebuild/re-sign, or trust the key (`--trust KEY.pub`) if it
  really is yours.
- `<image>.tar: missing (run ./fetch-images.sh ...)`: images were not fetched.
- `model weights need N bytes ...`: free disk space in `{paths.models}` and retry.
- `missing {SITE_TLS_DIR}/tls.crt ...`: copy the TLS files first (above).
- `... failed its health gate; rolled back to ...`: the new release did not answer; the
  previous one runs again. Look at `journalctl -u 'inferplane-*'` (systemd) or
  `k3s kubectl -n inferplane get pods` and `... logs` (k3s), and at `install.sh status`.
- The router answers `https://<device>:8088/healthz`; verify it with
  `curl --cacert ca.pem`. Chat requests need `Authorization: Bearer <site key>`.
"""
