"""``inferplane router``: render, run and key the stack's router."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from inferplane.cli.output import console, err
from inferplane.cli.stacks import selected_stacks
from inferplane.errors import ConfigFileError, InferplaneError

__all__ = ["register"]

router_app = typer.Typer(
    help="Render, run and key the stack's routing service.", no_args_is_help=True
)

StackOpt = Annotated[str | None, typer.Option("--stack", "-s", help="Stack name.")]
ProjectOpt = Annotated[Path | None, typer.Option("--project", help="Project directory.")]


def _stack_config_json(stack: str, project: Path | None, *, deployed: bool = False) -> str:
    """The stack's RouterConfig from an offline plan of its program: as the deployment
    gives it to the router (``deployed``: the managed Redis's ``state`` included, as the
    secret reference the router will read), else as a local run uses it (the spec's own
    ``state``: a provisioned Redis lives in the cloud network, out of a laptop's reach)."""
    from inferplane.plan import run_program
    from inferplane.routerconfig import (
        deployed_config_json,
        endpoints_from_graph,
        stack_router_config,
    )
    from inferplane.spec import provider_regions

    root, (stack_file,) = selected_stacks(stack, False, project)
    spec = stack_file.spec
    with err.status(f"planning {stack} offline for its targets' endpoints …"):
        graph = run_program(root, stack_file)
    if deployed:
        return deployed_config_json(graph)
    endpoints = endpoints_from_graph(graph, spec)
    regions = provider_regions(stack_file.config)
    return stack_router_config(spec, stack, endpoints, regions).to_json()


@router_app.command("config")
def config(stack: StackOpt = None, project: ProjectOpt = None) -> None:
    """Print the RouterConfig (JSON) the stack deploys its router with, from an offline plan
    (cloud-computed values such as ARNs and URLs are the plan's placeholders)."""
    if stack is None:
        raise InferplaneError("--stack NAME is required")
    text = _stack_config_json(stack, project, deployed=True)
    console.print_json(text) if console.is_terminal else print(
        json.dumps(json.loads(text), indent=2, sort_keys=True)
    )
    err.print(
        "as deployed; values only the cloud knows (ARNs, URLs, account and project numbers) "
        "are the offline plan's placeholders",
        markup=False,
    )


@router_app.command("serve")
def serve(
    *,
    stack: StackOpt = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="RouterConfig file (JSON or YAML).")
    ] = None,
    targets: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="NAME=URL: call target NAME at URL with auth none (repeatable; local upstreams).",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[
        int,
        typer.Option(help="Router processes sharing the port (SO_REUSEPORT)."),
    ] = 1,
    allow_memory_state: Annotated[
        bool,
        typer.Option(
            "--allow-memory-state",
            help="Allow --workers > 1 without Redis state (each worker keeps its own limits).",
        ),
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Run the router locally with a stack's config or a config file."""
    if (stack is None) == (config_file is None):
        raise InferplaneError("give exactly one of --stack NAME or --config FILE")
    if config_file is not None:
        try:
            text = config_file.read_text()
        except OSError as exc:
            raise ConfigFileError(f"cannot read {config_file}: {exc.strerror}") from exc
    else:
        text = _stack_config_json(str(stack), project)
    from inferplane.router.configfile import parse_config, point_targets
    from inferplane.router.errors import ConfigError

    try:
        router_config = parse_config(text, str(config_file or f"stack {stack}"))
        router_config, warnings = point_targets(router_config, targets or ())
    except ConfigError as exc:
        raise ConfigFileError(exc.message) from None
    for warning in warnings:
        err.print(warning, markup=False)
    from inferplane.router.serve import run

    try:
        from inferplane.router.workers import check_workers

        check_workers(router_config, workers, allow_memory_state)
    except ConfigError as exc:
        raise ConfigFileError(exc.message) from None
    each = f", {workers} workers" if workers > 1 else ""
    err.print(f"router listening on http://{host}:{port} (stack {router_config.stack}{each})")
    status = run(router_config, host, port, workers=workers, allow_memory_state=allow_memory_state)
    if status:
        raise typer.Exit(status)


@router_app.command("key")
def key(
    key_id: Annotated[str, typer.Argument(help="Key name, e.g. app-frontend.")],
    data_class: Annotated[
        list[str] | None,
        typer.Option(
            "--data-class", help="Allowed data class (repeatable); the first is the default."
        ),
    ] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute for this key.")] = None,
) -> None:
    """Create an API key: prints the secret once, and the spec entry that stores its hash."""
    from inferplane.router.auth import new_key

    binding: dict[str, object] = {"data_classes": tuple(data_class or ()), "rate_limit_rpm": rpm}
    from inferplane.spec.router import ApiKey

    secret, config = new_key(key_id, **binding)
    entry = config.model_dump(mode="json", exclude_defaults=True)
    try:
        ApiKey.model_validate(entry)  # the spec's grammar for key names and bindings
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InferplaneError(f"router key {key_id!r}: {problems}") from exc
    err.print("[bold]secret (shown once; give it to the client):[/]")
    print(secret)
    err.print("[bold]add to inferplane:spec.router.keys:[/]")
    print(json.dumps(entry))


def register(app: typer.Typer) -> None:
    app.add_typer(router_app, name="router")
