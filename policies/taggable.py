"""Which resource types take tags (AWS, Azure), labels (GCP) or metadata labels
(Kubernetes). A taggable resource without the required tags is the program's fault; an
untaggable one borrows its siblings' tags for residency decisions.

The list is generated from the installed provider SDKs (``python -m inferplane.policies.taggable``
rewrites ``policies/data/taggable.txt``); regenerate it when a provider is upgraded.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

__all__ = ["is_taggable", "taggable_types"]

DATA = Path(__file__).parent / "data" / "taggable.txt"
_TAG_INPUT = {"pulumi_aws": "tags", "pulumi_gcp": "labels", "pulumi_azure_native": "tags"}
_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'([^']+)'")


@cache
def taggable_types() -> frozenset[str]:
    return frozenset(DATA.read_text(encoding="utf-8").split())


def is_taggable(type_: str) -> bool:
    # Every Kubernetes object has metadata.labels; List kinds are never registered.
    if type_.startswith("kubernetes:") and not type_.endswith("List"):
        return True
    return type_ in taggable_types()


def generate(site_packages: Path) -> list[str]:
    """Type tokens of every resource whose constructor takes the tag input."""
    tokens: list[str] = []
    for package, key in _TAG_INPUT.items():
        for source in sorted((site_packages / package).rglob("*.py")):
            if source.name.startswith("_"):
                continue
            text = source.read_text(encoding="utf-8")
            match = _TOKEN.search(text)
            if match and f'__props__.__dict__["{key}"] = {key}' in text:
                tokens.append(match.group(1))
    return sorted(set(tokens))


if __name__ == "__main__":
    import pulumi_aws

    root = Path(pulumi_aws.__file__).parent.parent
    found = generate(root)
    DATA.write_text("\n".join(found) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {len(found)} taggable types to {DATA}\n")
