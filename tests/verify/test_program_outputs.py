"""verify reads what the real program exports: plan a shipped stack offline and parse its
stack outputs as ``pulumi stack output --json`` would give them (``router_function`` was
expected by verify and never exported)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferplane.plan import run_program
from inferplane.spec import load_stack
from inferplane.stackoutputs import ENVIRONMENT, ROUTER_FUNCTION, ROUTER_URL, TARGETS
from inferplane.verify import StackOutputs

ROOT = Path(__file__).resolve().parents[2]


def _planned(stack: str) -> tuple[dict[str, object], StackOutputs, list[str]]:
    graph = run_program(ROOT, load_stack(ROOT, stack))
    functions = [
        str(r.outputs.get("name") or r.inputs.get("name"))
        for r in graph.resources
        if r.type == "aws:lambda/function:Function" and r.name.startswith("router")
    ]
    return graph.stack_outputs, StackOutputs.from_dict(graph.stack_outputs, stack), functions


def test_lambda_router_exports_its_function_for_verify() -> None:
    exported, outputs, functions = _planned("prod-us-east-1")
    assert set(exported) == {ENVIRONMENT, TARGETS, ROUTER_URL, ROUTER_FUNCTION}
    assert len(functions) == 1
    assert outputs.router_function == functions[0]
    assert outputs.router_url is not None
    assert outputs.router_url.startswith("https://")
    assert set(outputs.targets) == {
        "claude-haiku-pt",
        "claude-sonnet",
        "llama-fleet",
        "mistral-sm",
        "summarize-fn",
    }


@pytest.mark.parametrize("stack", ["prod-westeurope", "prod-europe-west4"])
def test_container_routers_export_no_function(stack: str) -> None:
    exported, outputs, functions = _planned(stack)
    assert set(exported) == {ENVIRONMENT, TARGETS, ROUTER_URL}
    assert functions == []
    assert outputs.router_function is None
    assert outputs.router_url is not None
