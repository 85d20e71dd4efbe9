"""The rule set itself: unique IDs and names, every module registered, every rule
documented in the generated catalogue, metadata complete."""

from __future__ import annotations

import pkgutil
from importlib import import_module

import pytest

from inferplane.policies import rules as rules_package
from inferplane.policies.catalogue import catalogue
from inferplane.policies.model import RULE_ID, RULE_NAME, Enforcement, Rule
from inferplane.policies.registry import all_rules, rule_modules
from tests.policies.support import ROOT

RULES = all_rules()


def test_ids_and_names_unique() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


def test_every_rule_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(rules_package.__path__)}
    assert len(modules) == len(RULES)
    registered = {import_module(m).RULE.id for m in rule_modules()}
    assert registered == {r.id for r in RULES}


def test_module_names_follow_rule_ids() -> None:
    for module in rule_modules():
        rule: Rule = import_module(module).RULE
        family, number = rule.id.split("-")[1:]
        assert module.rsplit(".", 1)[-1].startswith(f"{family.lower()}_{number}_"), module


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_metadata_complete(rule: Rule) -> None:
    assert RULE_ID.match(rule.id)
    assert RULE_NAME.match(rule.name)
    assert rule.description.endswith(".")
    assert rule.description.count(". ") == 0
    assert rule.remediation
    assert rule.enforcement in (Enforcement.ADVISORY, Enforcement.MANDATORY)


def test_every_family_has_rules() -> None:
    assert {r.family for r in RULES} == {"residency", "capacity", "safety", "wiring"}


def test_catalogue_is_generated_and_current() -> None:
    text = (ROOT / "docs" / "policy-rules.md").read_text(encoding="utf-8")
    assert text == catalogue(), "regenerate: inferplane docs rules > docs/policy-rules.md"
    for rule in RULES:
        assert f"### {rule.id}" in text
        assert rule.name in text


@pytest.mark.parametrize(
    ("rule_id", "name", "refused"),
    [("IP-RES-999", "some-rule", "family"), ("IP-SAF-999", "Some_Rule", "kebab")],
)
def test_bad_rule_metadata_is_refused(rule_id: str, name: str, refused: str) -> None:
    from inferplane.policies.model import ResourceRule, Severity

    with pytest.raises(ValueError, match=refused):
        ResourceRule(
            rule_id,
            name,
            "x.",
            Severity.LOW,
            "safety",
            Enforcement.ADVISORY,
            "fix",
            check=lambda r, c: (),
        )
