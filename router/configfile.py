"""A RouterConfig from a file a person wrote or edited: JSON or YAML, with errors that
name the key path (``targets.edge.url: ...``) like the stack spec's, never a raw pydantic
dump; and ``point_targets`` for running a rendered config against local upstreams.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import ValidationError

from .config import RouterConfig, TargetAuth
from .errors import ConfigError

__all__ = ["parse_config", "point_targets"]


def parse_config(text: str, source: str = "router config") -> RouterConfig:
    """JSON, or YAML when the text is not JSON (YAML is a superset: one parser would do,
    but JSON is what rendered configs are and orjson is fast and exact)."""
    try:
        data: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = _yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of keys (stack, targets, routes, ...)")
    try:
        return RouterConfig.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(f"  {_problem(error)}" for error in exc.errors())
        raise ConfigError(f"{source} is invalid:\n{problems}") from None


def _yaml(text: str, source: str) -> Any:
    try:
        import yaml  # only for files people write; rendered configs are JSON
    except ImportError:  # a packaged router (zip, image) may ship without PyYAML
        raise ConfigError(
            f"{source} is not JSON, and YAML needs PyYAML, which this router lacks"
        ) from None

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ConfigError(f"{source} is neither JSON nor YAML{where}: {problem}") from None


def _problem(error: Any) -> str:
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    value = error.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
    return f"{path or '(root)'}: {message}{shown}"


def point_targets(config: RouterConfig, overrides: Iterable[str]) -> tuple[RouterConfig, list[str]]:
    """``NAME=URL`` overrides: only that target's ``url`` changes, and its ``auth`` becomes
    ``none`` (a local upstream needs no cloud credentials). Returns the new config and one
    warning line per changed target."""
    targets = dict(config.targets)
    warnings: list[str] = []
    for override in overrides:
        name, sep, url = override.partition("=")
        if not sep or not name or not url:
            raise ConfigError(f"--target {override!r}: expected NAME=URL")
        if name not in targets:
            raise ConfigError(
                f"--target {name}: no such target; targets: {', '.join(sorted(targets))}"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"--target {name}: url must be http(s)://host[:port]/..., got {url!r}"
            )
        before = targets[name]
        targets[name] = before.model_copy(update={"url": url, "auth": TargetAuth()})
        warnings.append(
            f"warning: target {name} now calls {url} with auth none "
            f"(was {before.url or 'the SDK endpoint'} with auth {before.auth.scheme})"
        )
    if not warnings:
        return config, warnings
    return RouterConfig.model_validate(
        {**config.model_dump(), "targets": {n: t.model_dump() for n, t in targets.items()}}
    ), warnings
