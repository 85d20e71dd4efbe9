"""Stack outputs as ``pulumi stack output --json`` prints them.

The program exports them through ``inferplane.stackoutputs`` (its names are read here):
``targets`` (per target: backend, model, url, endpoint_name, region), ``router_url`` and,
when the router runs on Lambda, ``router_function``. A Lambda target's function name is its
``endpoint_name`` (or ``function_name``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferplane.errors import ConfigFileError
from inferplane.stackoutputs import ROUTER_FUNCTION, ROUTER_URL, TARGETS

__all__ = ["StackOutputs", "load_outputs"]


@dataclass(frozen=True)
class StackOutputs:
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    router_url: str | None = None
    router_function: str | None = None

    @classmethod
    def from_dict(cls, data: object, source: str = "outputs") -> StackOutputs:
        if not isinstance(data, dict):
            raise ConfigFileError(f"{source}: expected a JSON object of stack outputs")
        targets = data.get(TARGETS) or {}
        if not isinstance(targets, dict) or not all(isinstance(v, dict) for v in targets.values()):
            raise ConfigFileError(f"{source}: '{TARGETS}' must map target names to objects")
        url, function = data.get(ROUTER_URL), data.get(ROUTER_FUNCTION)
        return cls(
            targets=targets,
            router_url=url if isinstance(url, str) and url else None,
            router_function=function if isinstance(function, str) and function else None,
        )


def load_outputs(path: Path) -> StackOutputs:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(f"cannot read stack outputs {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(f"{path} is not JSON (`pulumi stack output --json`): {exc}") from exc
    return StackOutputs.from_dict(data, str(path))
