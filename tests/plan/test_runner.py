"""The offline plan runs a real program under the mock runtime and records its graph."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from inferplane.errors import SpecError
from inferplane.plan import Graph
from inferplane.plan.runner import record, run_program
from inferplane.spec import StackFile, load_stack

TINY = Path(__file__).resolve().parent.parent / "fixtures" / "tiny_project"


def _plan_tiny() -> Graph:
    stack = load_stack(TINY, "small")
    # The tiny program has no inferplane spec, so run it without run_program's spec gate.
    return record(
        lambda: runpy.run_path(str(TINY / "__main__.py")),
        Graph("tiny", "small"),
        stack.config,
        stack.secret_keys,
    )


def test_records_every_resource_with_type_name_parent_and_inputs() -> None:
    graph = _plan_tiny()
    counts = graph.type_counts()
    assert counts["tiny:index:Store"] == 2
    assert counts["aws:s3/bucket:Bucket"] == 2
    assert counts["aws:iam/role:Role"] == 2
    bucket = next(r for r in graph.resources if r.name == "store0-bucket")
    store = next(r for r in graph.resources if r.name == "store0")
    assert bucket.parent == store.urn
    assert bucket.inputs == {"region": "eu-west-1", "tags": {"owner": "tests"}}
    assert bucket.custom
    assert not store.custom


def test_records_dependencies_and_computed_outputs_flow() -> None:
    graph = _plan_tiny()
    role = next(r for r in graph.resources if r.name == "store1-role")
    bucket = next(r for r in graph.resources if r.name == "store1-bucket")
    assert role.dependencies == [bucket.urn]
    assert role.inputs["assumeRolePolicy"] == '{"bucket": "arn:aws:s3:::store1-bucket"}'


def test_secrets_stay_masked() -> None:
    graph = _plan_tiny()
    parameter = next(r for r in graph.resources if r.name == "token")
    assert parameter.inputs["value"] == "[secret]"
    assert graph.stack_outputs["token"] == "[secret]"
    assert "AAABAHNlY3JldA" not in graph.to_json()


def test_records_invokes_and_stack_outputs() -> None:
    graph = _plan_tiny()
    assert [i.token for i in graph.invokes] == ["aws:ec2/getAmi:getAmi"]
    assert graph.invokes[0].args == {"mostRecent": True, "owners": ["amazon"]}
    assert graph.stack_outputs["first_bucket"] == "store0-bucket"
    assert graph.stack_outputs["ami"].startswith("ami-")


def test_component_outputs_are_recorded() -> None:
    graph = _plan_tiny()
    store = next(r for r in graph.resources if r.name == "store0")
    assert store.outputs == {"bucket": "store0-bucket"}


def test_runs_are_isolated() -> None:
    first, second = _plan_tiny(), _plan_tiny()
    assert len(first.resources) == len(second.resources) == 7


def test_graph_json_round_trips() -> None:
    graph = _plan_tiny()
    data = json.loads(graph.to_json())
    assert data["offline_synthesis"] is True
    assert Graph.from_dict(data).type_counts() == graph.type_counts()


def test_invalid_spec_creates_no_resource(project_root: Path) -> None:
    """The real program refuses an invalid spec before registering anything."""
    stack = load_stack(project_root, "dev")
    config = dict(stack.config)
    spec = json.loads(json.dumps(config["inferplane:spec"]))
    spec["targets"]["claude-haiku"]["region"] = "mars-1"
    config["inferplane:spec"] = spec
    bad = StackFile("dev", stack.path, config)
    with pytest.raises(SpecError):
        run_program(project_root, bad)
    # Without the CLI's gate, the program's own guard stops it: nothing is registered.
    graph = Graph("inferplane", "dev")
    program = str(project_root / "__main__.py")
    with pytest.raises(Exception, match="mars-1"):
        record(lambda: runpy.run_path(program, run_name="__main__"), graph, bad.config)
    assert graph.resources == []
