"""Every rule, discovered from ``policies/rules/``: each module there defines ``RULE``.
Adding a rule means adding a module; nothing else lists them."""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module

from inferplane.policies.model import ResourceRule, Rule, StackRule

__all__ = ["all_rules", "resource_rules", "rule_ids", "rule_modules", "stack_rules"]


def rule_modules() -> list[str]:
    """Module names under ``policies.rules``, sorted."""
    from inferplane.policies import rules

    return sorted(f"{rules.__name__}.{m.name}" for m in pkgutil.iter_modules(rules.__path__))


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by ID; raises if a module lacks ``RULE`` or IDs/names repeat."""
    found: list[Rule] = []
    for module_name in rule_modules():
        rule = getattr(import_module(module_name), "RULE", None)
        if not isinstance(rule, Rule):
            raise TypeError(f"{module_name} defines no RULE (a ResourceRule or StackRule)")
        found.append(rule)
    for attr in ("id", "name"):
        values = [getattr(r, attr) for r in found]
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"rule {attr}s must be unique; repeated: {', '.join(repeated)}")
    return tuple(sorted(found, key=lambda r: r.id))


def resource_rules() -> list[ResourceRule]:
    return [r for r in all_rules() if isinstance(r, ResourceRule)]


def stack_rules() -> list[StackRule]:
    return [r for r in all_rules() if isinstance(r, StackRule)]


def rule_ids() -> frozenset[str]:
    return frozenset(r.id for r in all_rules())
