"""``inferplane edge build``: an offline install bundle for one edge site."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from inferplane.cli.output import console, err
from inferplane.errors import InferplaneError
from inferplane.spec import find_project, load_stack

__all__ = ["register"]

edge_app = typer.Typer(help="Edge sites: build the bundle a site installs offline.")


def _weights(values: list[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for value in values:
        target, sep, path = value.partition("=")
        if not sep or not target or not path:
            raise InferplaneError(
                f"--weights {value!r}: expected TARGET=PATH (a .gguf file or a directory)"
            )
        found[target] = Path(path)
    return found


def _overrides(values: list[str]) -> dict[str, str]:
    images: dict[str, str] = {}
    for value in values:
        target, sep, ref = value.partition("=")
        if not sep or not target or not ref:
            raise InferplaneError(f"--image {value!r}: expected TARGET=repo:tag@sha256:<digest>")
        images[target] = ref
    return images


@edge_app.command("build")
def build(
    *,
    site: Annotated[str, typer.Option("--site", help="Edge site name (a target's site).")],
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack holding the site.")],
    out: Annotated[Path, typer.Option("--out", help="Bundle directory (replaced).")],
    profile: Annotated[
        str | None, typer.Option("--profile", help="Device profile; checked against the site.")
    ] = None,
    image: Annotated[
        list[str] | None,
        typer.Option("--image", help="TARGET=repo:tag@sha256:DIGEST, a pinned model-server image."),
    ] = None,
    registry_mirror: Annotated[
        str | None, typer.Option("--registry-mirror", help="Site registry mirror URL for k3s.")
    ] = None,
    project: Annotated[Path | None, typer.Option("--project", help="Project directory.")] = None,
    secrets: Annotated[
        Path | None,
        typer.Option(
            "--secrets", help="Site secrets directory (TLS, API key); default OUT.secrets."
        ),
    ] = None,
    rotate_key: Annotated[
        bool,
        typer.Option(
            "--rotate-key",
            help="Issue a new site API key; the previous stays valid until the next.",
        ),
    ] = False,
    weights: Annotated[
        list[str] | None,
        typer.Option(
            "--weights",
            help="TARGET=PATH: pack a local GGUF file or safetensors directory as weights.",
        ),
    ] = None,
    signing_key: Annotated[
        Path | None,
        typer.Option(
            "--signing-key",
            help="Minisign secret key (edge keygen): sign manifest.json; sites refuse "
            "unsigned bundles.",
        ),
    ] = None,
    trust_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust-key",
            help="Public key the site trusts once this release is live (key rotation).",
        ),
    ] = None,
    revoked: Annotated[
        Path | None,
        typer.Option(
            "--revoked",
            help="Revocation list (edge revoke): sites refuse these keys from then on.",
        ),
    ] = None,
    k3s_dir: Annotated[
        Path | None,
        typer.Option(
            "--k3s-dir",
            help="Directory with k3s's release files (binary, airgap images, install.sh), "
            "checked against pinned sha256 sums and packed for sites without k3s.",
        ),
    ] = None,
    k3s_version: Annotated[
        str | None, typer.Option("--k3s-version", help="The pinned k3s release of --k3s-dir.")
    ] = None,
) -> None:
    """Build the bundle for SITE: router image, k3s airgap files or launchd plists,
    systemd units, cloud-init seed ISO and manifest.json; the site's secrets beside it."""
    from inferplane.edge_images.bundle import BundleInputs, build_bundle
    from inferplane.edge_images.k3s import DEFAULT_K3S
    from inferplane.packaging import default_cache

    root = find_project(project)
    spec = load_stack(root, stack).spec
    inputs = BundleInputs(
        spec=spec,
        stack=stack,
        site=site,
        source_root=root,
        cache=default_cache(root),
        profile=profile,
        images=_overrides(image or []),
        registry_mirror=registry_mirror,
        secrets=secrets,
        rotate_key=rotate_key,
        weights=_weights(weights or []),
        signing_key=signing_key,
        trust_keys=tuple(trust_key or ()),
        revoked=revoked,
        k3s_dir=k3s_dir,
        k3s_version=k3s_version or DEFAULT_K3S,
    )
    started = time.perf_counter()
    bundle = build_bundle(inputs, out, progress=lambda m: err.print(f"[dim]•[/] {m}"))
    elapsed = time.perf_counter() - started
    total = sum(f["size"] for f in bundle.files.values())
    console.print(
        f"[green]built[/] {out}: profile {bundle.profile}, {len(bundle.files)} files, "
        f"{total / 1e6:.1f} MB in {elapsed:.1f}s; manifest.json sha256 {bundle.manifest_sha256}"
    )
    if bundle.router_image is not None:
        console.print(f"router image {bundle.router_image.reference()}")
    if bundle.signed_by is None:
        err.print(
            "[yellow]unsigned[/]: sites refuse it unless installed with --allow-unsigned "
            "(pass --signing-key; make one with `inferplane edge keygen`)"
        )
    else:
        console.print(f"signed by key {bundle.signed_by} (manifest.json.minisig)")
    where = bundle.secrets.directory
    console.print(
        f"site secrets in {where} (keep them out of version control): the stack's router "
        f"needs the newest key in {where / 'site-key.json'} at the target's key_secret and "
        f"{where / 'ca.pem'} at its ca_secret; EdgeSite copies tls.crt/tls.key/ca.pem to the "
        "site. Run ./fetch-images.sh in the bundle where registries are reachable."
    )


@edge_app.command("pack-model")
def pack_model_command(
    source: Annotated[Path, typer.Argument(help="A .gguf file or a safetensors model directory.")],
    *,
    bundle: Annotated[Path, typer.Option("--bundle", help="A bundle built by `edge build`.")],
    target: Annotated[str, typer.Option("--target", help="The target whose server reads it.")],
    signing_key: Annotated[
        Path | None,
        typer.Option("--signing-key", help="Sign the rewritten manifest.json (edge keygen)."),
    ] = None,
) -> None:
    """Pack local model weights into a bundle: copied to models/TARGET/, each file's size
    and sha256 in manifest.json, checked against the profile's disk and memory; the
    installer verifies them and the site's free disk before activation."""
    from inferplane.edge_images.weights import pack_model

    digest = pack_model(bundle, target, source)
    console.print(
        f"[green]packed[/] {source} as {target}'s weights into {bundle}; "
        f"manifest.json sha256 {digest}"
    )
    _sign_or_warn(bundle, signing_key)


def _sign_or_warn(bundle: Path, signing_key: Path | None) -> None:
    from inferplane.edge_images.signing import read_secret_key, sign_bundle

    if signing_key is None:
        err.print(
            f"[yellow]unsigned[/]: {bundle}/manifest.json changed; sign it with "
            "`inferplane edge sign --bundle ... --signing-key ...` (sites refuse it unsigned)"
        )
        return
    signer = sign_bundle(bundle, read_secret_key(signing_key))
    console.print(f"[green]signed[/] {bundle}/manifest.json with key {signer}")


@edge_app.command("keygen")
def keygen_command(
    *,
    secret: Annotated[
        Path, typer.Option("--secret", help="Where the secret key goes (0600; keep it offline).")
    ],
    public: Annotated[
        Path | None, typer.Option("--public", help="The public key; default SECRET with .pub.")
    ] = None,
    days: Annotated[
        int,
        typer.Option("--days", help="Whole UTC days the key may sign for (then rotate)."),
    ] = 730,
) -> None:
    """Make a minisign-compatible Ed25519 key pair for signing bundles."""
    from inferplane.components.edge.minisign import day_text
    from inferplane.edge_images.signing import keygen

    public = public or secret.with_suffix(".pub")
    key = keygen(secret, public, days)
    expires = day_text(key.expires) if key.expires is not None else "never"
    console.print(
        f"[green]key {key.public.name}[/] (expires {expires}): secret {secret}, public "
        f"{public}. Sites trust the "
        "public key through their seed (edge build --signing-key) or "
        "`install.sh ... --trust KEY.pub`; operators check with minisign -V -p KEY.pub."
    )


@edge_app.command("sign")
def sign_command(
    *,
    bundle: Annotated[Path, typer.Option("--bundle", help="A bundle built by `edge build`.")],
    signing_key: Annotated[
        Path, typer.Option("--signing-key", help="Minisign secret key (edge keygen).")
    ],
) -> None:
    """Sign a bundle's manifest.json (after edits such as pack-model)."""
    if not (bundle / "manifest.json").is_file():
        raise InferplaneError(
            f"no manifest.json in {bundle}; build one with `inferplane edge build`"
        )
    _sign_or_warn(bundle, signing_key)


@edge_app.command("revoke")
def revoke_command(
    *,
    revoked: Annotated[
        Path, typer.Option("--revoked", help="The revocation list to add to (made if absent).")
    ],
    key: Annotated[str, typer.Option("--key", help="Key id to revoke (16 hex, as printed).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown when sites refuse).")],
) -> None:
    """Revoke a signing key: sites refuse its signatures once a release built with
    `edge build --revoked LIST` (signed by a key they trust) reaches them; never undone."""
    from inferplane.edge_images.signing import revoke

    listed = revoke(revoked, key, reason)
    console.print(
        f"[green]{revoked}[/] revokes {len(listed)} key(s): {', '.join(sorted(listed))}. "
        "Build the next release with --revoked to carry it to the sites."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(edge_app, name="edge")
