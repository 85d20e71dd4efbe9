"""Loading a StackSpec: from a ``stacks/Pulumi.<stack>.yaml`` file outside Pulumi, or from
the running program's config inside it. Both end in ``parse_spec``, which translates every
pydantic error into an Issue naming the key path, the bad value and what is allowed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from inferplane.errors import ConfigFileError, Issue, SpecError, StackNotFoundError
from inferplane.spec.base import GRAMMARS
from inferplane.spec.checks import cross_check
from inferplane.spec.stack import StackSpec
from inferplane.spec.targets import KINDS

__all__ = [
    "SPEC_KEY",
    "StackFile",
    "find_project",
    "list_stacks",
    "load_stack",
    "parse_spec",
    "provider_regions",
]

SPEC_KEY = "inferplane:spec"
PROVIDER_REGION_KEYS = {"aws": "aws:region", "gcp": "gcp:region", "azure": "azure-native:location"}


@dataclass(frozen=True)
class StackFile:
    """One stack's config file, read but not yet validated."""

    name: str
    path: Path
    config: dict[str, Any]
    """Every config key, ``secure:`` values replaced by placeholders."""
    secret_keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def spec(self) -> StackSpec:
        return parse_spec(self.config.get(SPEC_KEY), str(self.path), provider_regions(self.config))


def provider_regions(config: Mapping[str, Any]) -> dict[str, str]:
    return {cloud: str(config[key]) for cloud, key in PROVIDER_REGION_KEYS.items() if key in config}


def parse_spec(
    data: object, source: str = "spec", regions: Mapping[str, str] | None = None
) -> StackSpec:
    """Validate ``data`` into a StackSpec or raise SpecError listing every problem."""
    if data is None:
        raise SpecError(
            [Issue(SPEC_KEY, "missing: the stack config has no inferplane:spec")], source
        )
    try:
        spec = StackSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError([_issue(error) for error in exc.errors()], source) from exc
    issues = cross_check(spec, regions)
    if issues:
        raise SpecError(issues, source)
    return spec


def _issue(error: Any) -> Issue:
    loc = list(error["loc"])
    # A discriminated union puts the chosen kind into the path: targets.x.bedrock.region.
    if len(loc) > 2 and loc[0] == "targets" and loc[2] in KINDS:
        del loc[2]
    is_key = bool(loc) and loc[-1] == "[key]"
    if is_key:
        loc.pop()
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] == "string_pattern_mismatch" and error["ctx"]["pattern"] in GRAMMARS:
        message = GRAMMARS[error["ctx"]["pattern"]]
    if is_key:
        message = f"invalid name: {message}"
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "union_tag_invalid":
        message = f"unknown kind; allowed: {', '.join(KINDS)}"
    elif error["type"] == "union_tag_not_found":
        message = f"missing kind; allowed: {', '.join(KINDS)}"
    value = error.get("input")
    shown = value if isinstance(value, str | int | float | bool) else None
    return Issue(path or "(root)", message, shown)


def find_project(start: Path | None = None) -> Path:
    """The directory holding Pulumi.yaml, searching upward from ``start`` (cwd)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    raise ConfigFileError(f"no Pulumi.yaml in {here} or any parent; run inside the project")


def _stack_dir(project: Path) -> Path:
    data = _read_yaml(project / "Pulumi.yaml")
    return project / str(data.get("stackConfigDir", "."))


def list_stacks(project: Path) -> list[str]:
    prefix, suffix = "Pulumi.", ".yaml"
    return sorted(
        p.name[len(prefix) : -len(suffix)] for p in _stack_dir(project).glob("Pulumi.*.yaml")
    )


def load_stack(project: Path, name: str) -> StackFile:
    path = _stack_dir(project) / f"Pulumi.{name}.yaml"
    if not path.is_file():
        known = ", ".join(list_stacks(project)) or "none"
        raise StackNotFoundError(f"no stack {name!r}: {path} does not exist (stacks: {known})")
    data = _read_yaml(path)
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigFileError(f"{path}: 'config' must be a mapping")
    config, secrets = _unseal(raw)
    return StackFile(name, path, config, frozenset(secrets))


def _unseal(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Replace top-level ``{secure: ...}`` values with placeholders, remembering the keys."""
    config: dict[str, Any] = {}
    secrets: list[str] = []
    for key, value in raw.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = f"[secret:{key}]"
            secrets.append(key)
        else:
            config[key] = value
    return config, secrets


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a mapping at the top level")
    return data
