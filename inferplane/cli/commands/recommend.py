"""``inferplane recommend``: requirements -> architecture, reasons, priced trade-offs, and a
starter stack in stacks/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from inferplane.cli.output import console, err
from inferplane.errors import ConfigFileError, InferplaneError
from inferplane.yamlload import read_yaml

__all__ = ["register"]


def recommend(
    *,
    requirements_file: Annotated[
        Path | None, typer.Option("--requirements", help="Requirements as YAML or JSON.")
    ] = None,
    latency_budget_ms: Annotated[float | None, typer.Option(help="Answer budget, ms.")] = None,
    offline: Annotated[bool | None, typer.Option("--offline/--online")] = None,
    restricted_share: Annotated[
        float | None, typer.Option(help="Fraction of requests whose data must stay on premises.")
    ] = None,
    data_sensitivity: Annotated[
        str | None, typer.Option(help="public, internal or confidential (the rest).")
    ] = None,
    regulated: Annotated[bool | None, typer.Option("--regulated/--not-regulated")] = None,
    capability: Annotated[str | None, typer.Option(help="frontier, general or custom.")] = None,
    volume: Annotated[str | None, typer.Option(help="steady, variable or unknown.")] = None,
    rps: Annotated[float | None, typer.Option(help="Average requests per second.")] = None,
    peak_rps: Annotated[float | None, typer.Option(help="Peak requests per second.")] = None,
    time_to_market: Annotated[str | None, typer.Option(help="days, weeks or months.")] = None,
    region: Annotated[str | None, typer.Option(help="AWS region of the cloud part.")] = None,
    site: Annotated[str | None, typer.Option(help="Edge site name.")] = None,
    model: Annotated[str | None, typer.Option(help="Your model (custom capability).")] = None,
    write_stack: Annotated[
        str | None, typer.Option("--write-stack", help="Write stacks/Pulumi.<NAME>.yaml.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing stack file.")] = False,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    project: Annotated[Path | None, typer.Option(help="Project directory.")] = None,
) -> None:
    """Recommend edge / managed API / managed hosting / self-hosted / serverless / hybrid."""
    from inferplane.recommend import starter_config, starter_spec
    from inferplane.recommend import write_stack as write
    from inferplane.recommend.report import recommend as build
    from inferplane.router.auth import new_key
    from inferplane.spec import find_project

    if output not in ("table", "json"):
        raise InferplaneError(f"--format {output!r}: allowed: table, json")
    flags = {
        "latency_budget_ms": latency_budget_ms,
        "offline": offline,
        "restricted_share": restricted_share,
        "data_sensitivity": data_sensitivity,
        "regulated": regulated,
        "capability": capability,
        "volume": volume,
        "rps": rps,
        "peak_rps": peak_rps,
        "time_to_market": time_to_market,
        "region": region,
        "site": site,
        "model": model,
    }
    requirements = _requirements(
        requirements_file, {k: v for k, v in flags.items() if v is not None}
    )
    result = build(requirements)
    if output == "json":
        console.print_json(json.dumps(result.to_dict()))
    else:
        console.print(result.view())
    if write_stack is not None:
        secret, key = new_key("app")
        spec = starter_spec(requirements, result.decision, key)
        config = starter_config(spec, requirements.region)
        path, _ = write(find_project(project), write_stack, config, result.header(), force=force)
        console.print(
            f"wrote {path} (valid stack spec); next: inferplane plan --stack {write_stack}"
        )
        err.print("[bold]the router's API key 'app' (shown once; give it to the client):[/]")
        print(secret)


def _requirements(path: Path | None, flags: dict[str, Any]) -> Any:
    from inferplane.recommend import Requirements

    data: dict[str, Any] = {}
    if path is not None:
        loaded = read_yaml(path)
        if not isinstance(loaded, dict):
            raise ConfigFileError(f"{path}: expected a mapping of requirements")
        data.update(loaded)
    data.update(flags)
    try:
        return Requirements.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']} (got {e.get('input')!r})"
            for e in exc.errors()
        )
        raise InferplaneError(f"invalid requirements: {problems}") from exc


def register(app: typer.Typer) -> None:
    app.command()(recommend)
