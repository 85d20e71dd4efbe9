"""``inferplane package router``: the router's Lambda zip and multi-arch OCI image."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from inferplane.cli.output import console, err
from inferplane.errors import InferplaneError
from inferplane.spec import find_project

__all__ = ["register"]

package_app = typer.Typer(help="Build deployable packages from this source tree.")


def _arches(value: str) -> list[str]:
    from inferplane.packaging.router_image import ARCHES

    arches = [a.strip() for a in value.split(",") if a.strip()]
    bad = [a for a in arches if a not in ARCHES]
    if not arches or bad:
        raise InferplaneError(f"--arch {value!r}: allowed are {', '.join(ARCHES)}")
    return arches


@package_app.command("router")
def router(
    *,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")],
    arch: Annotated[
        str, typer.Option("--arch", help="Image architectures, comma-separated.")
    ] = "amd64,arm64",
    lambda_arch: Annotated[
        str, typer.Option("--lambda-arch", help="Lambda architecture: arm64 or amd64.")
    ] = "arm64",
    image: Annotated[bool, typer.Option("--image/--no-image", help="Build the OCI image.")] = True,
    lambda_zip: Annotated[
        bool, typer.Option("--lambda/--no-lambda", help="Build the Lambda zip.")
    ] = True,
    project: Annotated[Path | None, typer.Option("--project", help="Project directory.")] = None,
) -> None:
    """Build router-lambda.zip and router-oci/ + router-oci.tar into OUT."""
    from inferplane.packaging import default_cache
    from inferplane.packaging.lambda_zip import build_lambda_zip
    from inferplane.packaging.router_image import build_router_image

    root = find_project(project)
    cache = default_cache(root)
    arches = _arches(arch)
    out.mkdir(parents=True, exist_ok=True)
    if lambda_zip:
        started = time.perf_counter()
        with err.status("building the Lambda zip …"):
            package = build_lambda_zip(root, out / "router-lambda.zip", cache, arch=lambda_arch)
        console.print(
            f"[green]lambda[/] {package.path} ({package.size / 1e6:.1f} MB, unzipped "
            f"{package.unzipped_size / 1e6:.1f} MB) {package.runtime}/{package.architecture} "
            f"handler {package.handler} sha256 {package.sha256} "
            f"in {time.perf_counter() - started:.1f}s"
        )
    if image:
        started = time.perf_counter()
        built = build_router_image(
            root, out, cache, arches=arches, progress=lambda m: err.print(f"[dim]•[/] {m}")
        )
        console.print(
            f"[green]image[/] {built.layout} + {built.archive}: {built.reference()} "
            f"in {time.perf_counter() - started:.1f}s"
        )
        for name, manifest in built.manifests.items():
            console.print(f"  {name}: {manifest.digest}")


def register(app: typer.Typer) -> None:
    app.add_typer(package_app, name="package")
