"""Loading a StackSpec: from a ``stacks/Pulumi.<stack>.yaml`` file outside Pulumi, or from
the running program's config inside it. Both end in ``parse_spec``, which translates every
pydantic error into an Issue naming the key path, the bad value and what is allowed."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from inferplane.errors import (
    ConfigFileError,
    DuplicateKeyError,
    Issue,
    SpecError,
    StackNotFoundError,
    key_path,
)
from inferplane.secret_shapes import Redacted, names_a_secret
from inferplane.spec.advice import advise
from inferplane.spec.asof import evaluation_date
from inferplane.spec.base import GRAMMARS
from inferplane.spec.checks import cross_check
from inferplane.spec.fleet_expand import expand_fleets, read_inventories
from inferplane.spec.plaintext import config_secrets, pasted_credentials
from inferplane.spec.regions import is_region
from inferplane.spec.stack import StackSpec
from inferplane.spec.targets import KINDS
from inferplane.yamlload import read_yaml

__all__ = [
    "SPEC_KEY",
    "StackFile",
    "find_project",
    "list_stacks",
    "load_stack",
    "parse_spec",
    "provider_region_issues",
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
    as_of: dt.date | None = None
    """The date date-dependent checks use (reservation end dates); None: today."""

    @property
    def spec(self) -> StackSpec:
        """The validated spec; SpecError lists the config's and the spec's problems."""
        config_issues = list(config_secrets(self.config, SPEC_KEY))
        try:
            spec = parse_spec(
                self.config.get(SPEC_KEY),
                str(self.path),
                provider_regions(self.config),
                as_of=self.as_of,
            )
        except SpecError as error:
            raise SpecError([*config_issues, *error.issues], error.source) from None
        if config_issues:
            raise SpecError(config_issues, str(self.path))
        return spec

    @property
    def advisories(self) -> list[Issue]:
        """Problems that are not errors but that the user should hear about at plan time."""
        return advise(self.spec, provider_regions(self.config))


def provider_regions(config: Mapping[str, Any]) -> dict[str, str]:
    return {cloud: str(config[key]) for cloud, key in PROVIDER_REGION_KEYS.items() if key in config}


def provider_region_issues(regions: Mapping[str, str]) -> Iterator[Issue]:
    """A provider region that is not a real region is the provider key's error (targets and
    the router only inherit it), so it is reported there, once."""
    for cloud, region in regions.items():
        if cloud in PROVIDER_REGION_KEYS and not is_region(cloud, region):  # type: ignore[arg-type]
            yield Issue(
                PROVIDER_REGION_KEYS[cloud],
                f"not a known {cloud} region (the stack's default {cloud} region)",
                region,
            )


def parse_spec(
    data: object,
    source: str = "spec",
    regions: Mapping[str, str] | None = None,
    *,
    as_of: dt.date | None = None,
) -> StackSpec:
    """Validate ``data`` into a StackSpec or raise SpecError listing every problem.
    ``as_of`` is the date for date checks (default: ``asof.evaluation_date()``)."""
    if data is None:
        raise SpecError(
            [Issue(SPEC_KEY, "missing: the stack config has no inferplane:spec")], source
        )
    regions = regions or {}
    found = [*provider_region_issues(regions), *pasted_credentials(data)]
    data, inventory_issues = read_inventories(data)
    found += inventory_issues
    try:
        spec = StackSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError([*found, *(_issue(error) for error in exc.errors())], source) from exc
    spec, fleet_issues = expand_fleets(spec)
    issues = [*found, *fleet_issues, *cross_check(spec, regions, as_of or evaluation_date())]
    if issues:
        raise SpecError(issues, source)
    return spec


def _issue(error: Any) -> Issue:
    """One pydantic error as an Issue: the spec's key path, a message in the spec's words,
    and the offending value (redacted under a key whose name says it holds a secret)."""
    loc = list(error["loc"])
    # A discriminated union puts the chosen kind into the path: targets.x.bedrock.region.
    if len(loc) > 2 and loc[0] == "targets" and loc[2] in KINDS:
        del loc[2]
    is_key = bool(loc) and loc[-1] == "[key]"
    if is_key:
        loc.pop()
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    value = error.get("input")
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch" and ctx["pattern"] in GRAMMARS:
        message = GRAMMARS[ctx["pattern"]]
    if is_key:
        message = f"invalid name: {message}"
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "union_tag_invalid":
        # The path names the discriminator itself, and the value shown is the bad tag.
        loc.append(str(ctx["discriminator"]).strip("'"))
        value = ctx["tag"]
        message = f"unknown kind{_did_you_mean(value, KINDS)}; allowed: {', '.join(KINDS)}"
    elif kind == "union_tag_not_found":
        message = f"missing kind; allowed: {', '.join(KINDS)}"
    elif kind in ("literal_error", "enum") and isinstance(value, str):
        message += _did_you_mean(value, re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
    if any(isinstance(p, str) and names_a_secret(p) for p in loc) and isinstance(value, str):
        message = message.replace(value, "<redacted>")
        value = Redacted("value of a secret field", len(value))
    path = key_path(loc)
    shown = value if isinstance(value, str | int | float | bool | Redacted) else None
    return Issue(path or "(root)", message, shown)


def _did_you_mean(value: str, allowed: Any) -> str:
    by_lower = {str(a).lower(): str(a) for a in allowed}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


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


def load_stack(project: Path, name: str, as_of: dt.date | None = None) -> StackFile:
    path = _stack_dir(project) / f"Pulumi.{name}.yaml"
    if not path.is_file():
        known = ", ".join(list_stacks(project)) or "none"
        raise StackNotFoundError(f"no stack {name!r}: {path} does not exist (stacks: {known})")
    try:
        data = _read_yaml(path)
    except DuplicateKeyError as error:
        # Repeated keys are spec errors like any other, named by the path the user edits.
        raise SpecError(map(_spec_relative, error.issues), str(path)) from None
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigFileError(f"{path}: 'config' must be a mapping")
    config, secrets = _unseal(raw)
    return StackFile(name, path, config, frozenset(secrets), as_of)


def _spec_relative(issue: Issue) -> Issue:
    """``config.inferplane:spec.targets.x`` -> ``targets.x``; ``config.aws:region`` ->
    ``aws:region``: the same paths every other spec error uses."""
    path = issue.path
    for prefix in (f"config.{SPEC_KEY}.", "config."):
        if path.startswith(prefix):
            path = path.removeprefix(prefix)
            break
    return Issue(path, issue.message, issue.value)


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
    data = read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a mapping at the top level")
    return data
