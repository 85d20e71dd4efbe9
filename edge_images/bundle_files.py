"""Writing a bundle's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["write", "yaml_docs"]


def write(path: Path, data: str | bytes) -> None:
    """``path`` (its directories made) holding ``data`` (text as UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


def yaml_docs(docs: list[dict[str, Any]]) -> str:
    """A multi-document YAML file, keys sorted."""
    return "".join(
        "---\n" + yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, width=1000)
        for doc in docs
    )
