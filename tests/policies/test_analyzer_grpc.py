"""The CrossGuard pack as the Pulumi engine runs it: started the way the Python language
host starts a policy pack (``python -u -m pulumi.policy <engine> <pack dir>``, the port read
from stdout), then driven over gRPC with the engine's own protobuf messages: ConfigureStack,
GetAnalyzerInfo, Configure, Analyze per resource and AnalyzeStack (tests/policies/
analyzer_host.py says where each step comes from in pulumi/pulumi).

Every shipped stack and every violating fixture (real plans, mutated) must give the same
findings (rule, URN, message, enforcement) as ``inferplane check --graph`` on the same graph,
with the built-in org policy and with an org policy file handed to the pack the two ways
the engine can hand it over."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2
from typer.testing import CliRunner

from inferplane.cli import app
from inferplane.errors import InferplaneError
from inferplane.plan.graph import Graph
from inferplane.policies.config import load_policy
from inferplane.policies.model import ResourceRule
from inferplane.policies.registry import all_rules
from inferplane.spec import load_stack
from tests.policies.analyzer_host import (
    PACK_DIR,
    ROOT,
    Diagnostic,
    EngineServer,
    PackDidNotStart,
    PackProcess,
    iter_stack_files,
    pack_runtime,
)
from tests.policies.test_wiring_rules import MUTATIONS as WIRING_MUTATIONS
from tests.policies.wiring_world import both, named, planned

RULES = {r.name: r for r in all_rules()}
STACKS = list(iter_stack_files())
Finding = tuple[str, str | None, str, str]
"""(rule ID, resource URN or None for the stack, message, enforcement)."""
Mutation = Callable[[Graph], object]


# --- violating fixtures: real plans, one thing broken ----------------------------------


def set_at(name: str, path: str, value: object) -> Mutation:
    """Set an input of a planned resource; every step of ``path`` must be in the plan."""

    def mutate(graph: Graph) -> None:
        node: Any = named(graph, name).inputs
        *steps, last = path.split(".")
        for step in steps:
            node = node[int(step)] if isinstance(node, list) else node[step]
        assert isinstance(node, list) or last in node, f"{name}: {path} not in the plan"
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def drop_tag(name: str, tag: str) -> Mutation:
    def mutate(graph: Graph) -> None:
        del named(graph, name).inputs["tags"][tag]

    return mutate


UNKNOWN = "[unknown]"
SECRET = "[secret]"
US = "prod-us-east-1"
EU_AZ = "prod-westeurope"

FIXTURES: dict[str, tuple[str, Mutation]] = {
    "IMDSv1 allowed": (US, set_at("llama-fleet-lt", "metadataOptions.httpTokens", "optional")),
    "unencrypted root volume": (
        US,
        set_at("llama-fleet-lt", "blockDeviceMappings.0.ebs.encrypted", "false"),
    ),
    "unapproved GPU family": (US, set_at("llama-fleet-lt", "instanceType", "p3.2xlarge")),
    "fleet max beyond the cap": (US, set_at("llama-fleet-asg", "maxSize", 500.0)),
    "no reserved baseline": (
        US,
        set_at("llama-fleet-asg", "capacityReservationSpecification", {}),
    ),
    "bucket in the wrong zone": (
        US,
        set_at("claude-sonnet-invocation-logs", "region", "eu-central-1"),
    ),
    "required tag missing": (US, drop_tag("claude-sonnet-invocation-logs", "owner")),
    "image by tag, not digest": (
        US,
        set_at("mistral-sm-model", "primaryContainer.image", "ghcr.io/example/tgi:latest"),
    ),
    "public function URL": (US, set_at("summarize-fn-url", "authorizationType", "NONE")),
    "commitment without approval, over limits": (
        US,
        both(
            drop_tag("claude-haiku-pt-throughput", "capacity-approval"),
            set_at("claude-haiku-pt-throughput", "modelUnits", 40.0),
            set_at("claude-haiku-pt-throughput", "commitmentDuration", "ThreeYears"),
        ),
    ),
    "Azure OpenAI global SKU for confidential data": (
        EU_AZ,
        set_at("gpt-4o-mini-deployment", "sku.name", "GlobalStandard"),
    ),
    "Azure account off the allowlist": (
        EU_AZ,
        set_at("gpt-4o-mini-account", "location", "brazilsouth"),
    ),
    # The engine sends unknowns as its sentinel and secrets as envelopes around the value.
    "unknown values during preview": (
        US,
        both(
            set_at("llama-fleet-lt", "metadataOptions.httpTokens", UNKNOWN),
            set_at("claude-sonnet-invocation-logs", "region", UNKNOWN),
            set_at("llama-fleet-asg", "maxSize", UNKNOWN),
            set_at("summarize-fn-url", "authorizationType", UNKNOWN),
        ),
    ),
    # Residency fails closed on a data class it cannot read, on both paths.
    "unknown data-class tag": (US, set_at("mistral-sm-model", "tags.data-class", UNKNOWN)),
    "secret inputs": (
        US,
        both(
            set_at("summarize-fn-function", "environment.variables.MODEL_ID", SECRET),
            set_at("mistral-sm-model", "primaryContainer.environment.MESSAGES_API_ENABLED", SECRET),
        ),
    ),
}
for _label, (_stack, _mutate, _expected) in WIRING_MUTATIONS.items():
    FIXTURES[f"wiring: {_label}"] = (_stack, _mutate)

# Every rule family the fixtures must make fire on both paths (a fixture that stopped
# violating would make the agreement vacuous).
EXPECTED_RULES = {
    "IP-SAF-001", "IP-SAF-002", "IP-SAF-003", "IP-SAF-004", "IP-SAF-005", "IP-SAF-006",
    "IP-SAF-007", "IP-SAF-008", "IP-CAP-002", "IP-CAP-003", "IP-CAP-005", "IP-RES-001",
    "IP-RES-003", "IP-RES-004", "IP-WIR-001", "IP-WIR-002", "IP-WIR-003", "IP-WIR-004",
    "IP-WIR-005",
}  # fmt: skip

# An org policy file with enforcement overrides in every direction and content that moves
# findings: no critical rule is weakened, so it needs no approval.
ORG_POLICY = {
    "version": 1,
    "required_tags": ["owner", "cost-center", "environment", "data-class", "team"],
    "max_scale": {"dev": 8, "staging": 16, "prod": 4},
    "rules": {
        "IP-SAF-004": {"enforcement": "advisory"},  # mandatory -> advisory
        "IP-SAF-007": {"enforcement": "mandatory"},  # advisory -> mandatory
        "IP-SAF-002": {"enforcement": "disabled"},
        "IP-CAP-002": {"enforcement": "advisory"},
    },
}
ORG_FIXTURES = [
    "IMDSv1 allowed",
    "unapproved GPU family",
    "fleet max beyond the cap",
    "commitment without approval, over limits",
    "required tag missing",
]


# --- the two paths ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    stack: str
    mutate: Mutation | None

    def graph(self) -> Graph:
        graph = planned(self.stack)
        if self.mutate is not None:
            self.mutate(graph)
        return graph


SHIPPED = [Case(f"shipped {s}", s, None) for s in STACKS]
VIOLATING = [Case(label, stack, m) for label, (stack, m) in FIXTURES.items()]
ORG_CASES = [*SHIPPED, *(c for c in VIOLATING if c.label in ORG_FIXTURES)]
CASES = {c.label: c for c in [*SHIPPED, *VIOLATING]}
# The fast tier: one stack's plan, the seam end to end; the rest is the slow tier.
FAST = {
    "shipped prod-us-east-1",
    "IMDSv1 allowed",
    "unapproved GPU family",
    "fleet max beyond the cap",
    "public function URL",
    "commitment without approval, over limits",
    "required tag missing",
    "unknown values during preview",
    "secret inputs",
    "wiring: drop lambda:InvokeFunction",
}


def params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(c, id=c.label, marks=() if c.label in FAST else pytest.mark.slow)
        for c in cases
    ]


class Offline:
    """``inferplane check --graph FILE --format json [--policy-config F]`` per case, run
    once and kept: the findings every engine result is compared with."""

    def __init__(self, tmp: Path, *options: str) -> None:
        self.tmp, self.options = tmp, options
        self.graphs: dict[str, Graph] = {}
        self.found: dict[str, set[Finding]] = {}

    def graph(self, label: str) -> Graph:
        if label not in self.graphs:
            self.graphs[label] = CASES[label].graph()
        return self.graphs[label]

    def __getitem__(self, label: str) -> set[Finding]:
        if label not in self.found:
            self.found[label] = inferplane_check(self.graph(label), self.tmp, *self.options)
        return self.found[label]


@pytest.fixture(scope="module")
def org_policy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("org") / "org-policy.json"
    path.write_text(json.dumps(ORG_POLICY), encoding="utf-8")
    return path


def inferplane_check(graph: Graph, tmp: Path, *options: str) -> set[Finding]:
    """The findings of ``inferplane check --graph FILE --format json`` on ``graph``."""
    graph_file = tmp / "graph.json"
    graph_file.write_text(graph.to_json(), encoding="utf-8")
    argv = ["check", "--graph", str(graph_file), "--format", "json", "--project", str(ROOT)]
    result = CliRunner().invoke(app, [*argv, *options])
    assert result.exit_code in (0, 1), result.output
    out = result.stdout
    report = json.loads(out[out.index("{") :])
    (stack,) = report["stacks"]
    found = [(f["rule_id"], f["urn"], f["message"], f["enforcement"]) for f in stack["findings"]]
    assert len(set(found)) == len(found), "a finding was reported twice"
    return set(found)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Offline:
    return Offline(tmp_path_factory.mktemp("check"))


@pytest.fixture(scope="module")
def offline_org(org_policy_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Offline:
    return Offline(tmp_path_factory.mktemp("check-org"), "--policy-config", str(org_policy_file))


@pytest.fixture(scope="module")
def engine() -> Iterator[EngineServer]:
    server = EngineServer.start()
    yield server
    server.stop()


class Packs:
    """Running packs, one per stack and way of configuring: ``pulumi preview`` starts one
    per stack (the stack's config is in its environment), so all graphs of a stack share
    it."""

    def __init__(self, engine: EngineServer) -> None:
        self.engine = engine
        self.running: dict[tuple[str, str], PackProcess] = {}

    def get(
        self,
        stack: str,
        *,
        env: dict[str, str] | None = None,
        pack_config: dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
    ) -> PackProcess:
        """The pack for ``stack``; ``config`` replaces the stack file's config."""
        key = (stack, json.dumps([env, pack_config, config], sort_keys=True))
        if key not in self.running:
            stack_file = load_stack(ROOT, stack)
            pack = PackProcess.start(
                self.engine.address,
                stack,
                stack_file.config if config is None else config,
                sorted(stack_file.secret_keys),
                env,
            )
            pack.configure(pack_config)
            self.running[key] = pack
        return self.running[key]

    def stop(self) -> None:
        for pack in self.running.values():
            pack.stop()


@pytest.fixture(scope="module")
def packs(engine: EngineServer) -> Iterator[Packs]:
    running = Packs(engine)
    yield running
    running.stop()


def engine_findings(pack: PackProcess, graph: Graph) -> set[Finding]:
    """The pack's diagnostics for one preview of ``graph``, as ``inferplane check``
    findings: CrossGuard prefixes each message with the policy's description."""
    stack_file = load_stack(ROOT, graph.stack)
    found: set[Finding] = set()
    diagnostics = pack.analyze(graph, stack_file.config)
    for d in diagnostics:
        found.add(_finding(d))
    assert len(found) == len(diagnostics), "a finding was reported twice"
    return found


def _finding(d: Diagnostic) -> Finding:
    rule = RULES[d.policy]
    prefix = rule.description + "\n"
    assert d.message.startswith(prefix), d.message
    return (rule.id, d.urn, d.message.removeprefix(prefix), d.enforcement)


# --- tests --------------------------------------------------------------------------------


def test_pack_describes_every_rule(packs: Packs) -> None:
    import pulumi_policy

    pack = packs.get("dev")
    info = pack.analyzer_info()
    assert info.name == "inferplane"
    assert info.supportsConfig
    assert pack.plugin_version() == pulumi_policy.version.VERSION
    assert {p.name for p in info.policies} == set(RULES)
    levels = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY}
    types = {"resource": analyzer_pb2.POLICY_TYPE_RESOURCE, "stack": analyzer_pb2.POLICY_TYPE_STACK}
    for policy in info.policies:
        rule = RULES[policy.name]
        assert policy.enforcementLevel == levels[rule.enforcement.value], rule.id
        assert policy.policy_type == types[rule.scope], rule.id
        assert policy.displayName == f"{rule.id} {rule.name}"
        assert policy.remediation_steps == rule.remediation
        assert "orgPolicyFile" in policy.configSchema.properties
        assert info.initialConfig[policy.name].enforcementLevel == policy.enforcementLevel
    assert packs.engine.engine.logs == []


def test_pack_declares_the_python_runtime_and_the_project_venv() -> None:
    # What the engine reads before starting the pack: the language host named by the
    # runtime, with the project's virtualenv (pip toolchain).
    runtime = pack_runtime()
    assert runtime["name"] == "python"
    assert runtime["options"] == {"toolchain": "pip", "virtualenv": "../.venv"}
    assert (PACK_DIR / "__main__.py").is_file()  # run as the program directory


@pytest.mark.parametrize("case", params(SHIPPED))
def test_shipped_stack_agrees_with_check(case: Case, packs: Packs, offline: Offline) -> None:
    graph = offline.graph(case.label)
    assert engine_findings(packs.get(case.stack), graph) == offline[case.label]


@pytest.mark.parametrize("case", params(VIOLATING))
def test_violating_fixture_agrees_with_check(case: Case, packs: Packs, offline: Offline) -> None:
    expected = offline[case.label]
    if case.label not in ("unknown values during preview", "secret inputs"):
        assert expected, f"{case.label}: the fixture no longer violates anything"
    assert engine_findings(packs.get(case.stack), offline.graph(case.label)) == expected


@pytest.mark.slow
def test_fixtures_cover_the_rule_families(offline: Offline) -> None:
    fired = {f[0] for c in VIOLATING for f in offline[c.label]}
    assert fired >= EXPECTED_RULES, EXPECTED_RULES - fired


def test_unknowns_and_secrets_report_nothing(offline: Offline) -> None:
    assert offline["unknown values during preview"] == offline["shipped prod-us-east-1"]
    assert offline["secret inputs"] == offline["shipped prod-us-east-1"]


@pytest.mark.parametrize("case", params(ORG_CASES))
def test_org_policy_file_in_the_environment_agrees(
    case: Case, packs: Packs, org_policy_file: Path, offline_org: Offline
) -> None:
    # `INFERPLANE_POLICY_CONFIG=org.yaml pulumi preview --policy-pack policies`: the engine
    # passes its environment to the pack's process.
    pack = packs.get(case.stack, env={"INFERPLANE_POLICY_CONFIG": str(org_policy_file)})
    assert engine_findings(pack, offline_org.graph(case.label)) == offline_org[case.label]


@pytest.mark.parametrize("case", params(ORG_CASES))
def test_org_policy_file_in_the_pack_config_agrees(
    case: Case, packs: Packs, org_policy_file: Path, offline_org: Offline
) -> None:
    # `pulumi preview --policy-pack policies --policy-pack-config cfg.json` with
    # cfg.json naming the org policy file for every policy (docs/policies.md).
    pack_config = {name: {"orgPolicyFile": str(org_policy_file)} for name in RULES}
    pack = packs.get(case.stack, pack_config=pack_config)
    assert engine_findings(pack, offline_org.graph(case.label)) == offline_org[case.label]


def test_org_policy_changes_findings(offline: Offline, offline_org: Offline) -> None:
    # The org file must move findings, or agreeing under it proves nothing.
    fast = [c for c in ORG_CASES if c.label in FAST]
    assert all(offline[c.label] != offline_org[c.label] for c in fast)
    levels = {(f[0], f[3]) for c in fast for f in offline_org[c.label]}
    assert ("IP-SAF-004", "advisory") in levels
    assert ("IP-SAF-007", "mandatory") in levels
    assert not any(rule == "IP-SAF-002" for rule, _ in levels)


# An org policy that downgrades a critical rule; its hash is not pinned, so it is refused.
WEAKENING = {"version": 1, "rules": {"IP-SAF-001": {"enforcement": "advisory"}}}
PUBLIC_URL = "public function URL"


def test_pack_config_cannot_weaken_a_rule(packs: Packs, offline: Offline) -> None:
    # Old main: Pulumi's pack config set the level the engine reported, so this disabled
    # IP-SAF-001 (critical) and downgraded every other rule.
    pack_config = {"all": "advisory", "no-unauthenticated-public-endpoint": "disabled"}
    pack = packs.get(US, pack_config=pack_config)
    found = engine_findings(pack, offline.graph(PUBLIC_URL))
    assert found == offline[PUBLIC_URL]
    assert ("IP-SAF-001", "mandatory") in {(f[0], f[3]) for f in found}


def test_refused_org_policy_in_the_pack_config_fails_closed(
    packs: Packs, offline: Offline, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("refused") / "org.json"
    path.write_text(json.dumps(WEAKENING), encoding="utf-8")
    with pytest.raises(InferplaneError, match="IP-SAF-001 is critical"):
        load_policy(path)  # `inferplane check --policy-config` refuses the file (exit 2)
    pack = packs.get(US, pack_config={name: {"orgPolicyFile": str(path)} for name in RULES})
    graph = offline.graph(PUBLIC_URL)
    found = engine_findings(pack, graph)
    # Every policy that runs reports the refusal (a resource policy on each resource of
    # its types) and blocks.
    types = {r.type for r in graph.resources}
    running = {
        r.id
        for r in RULES.values()
        if not isinstance(r, ResourceRule) or r.types is None or r.types & types
    }
    assert {f[0] for f in found} == running
    assert {(f[2].split(":")[0], f[3]) for f in found} == {("org policy refused", "mandatory")}


def test_refused_org_policy_in_the_environment_stops_the_pack(
    engine: EngineServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("refused-env") / "org.json"
    path.write_text(json.dumps(WEAKENING), encoding="utf-8")
    stack_file = load_stack(ROOT, "dev")
    with pytest.raises(PackDidNotStart) as failed:
        PackProcess.start(
            engine.address,
            "dev",
            stack_file.config,
            extra_env={"INFERPLANE_POLICY_CONFIG": str(path)},
        )
    # The engine shows the pack's stderr: one line naming the file and the rule.
    assert failed.value.returncode == 1
    assert "Traceback" not in failed.value.stderr
    assert "IP-SAF-001" in failed.value.stderr
    assert str(path) in failed.value.stderr


def test_spec_that_does_not_parse_blocks_in_the_pack(packs: Packs, offline: Offline) -> None:
    # `inferplane check` refuses such a spec before planning (exit 2); the pack gets the
    # stack config from the engine as it is and must fail closed on it, not skip the
    # spec's rules (IP-SAF-009).
    config = load_stack(ROOT, US).config
    broken = json.loads(json.dumps(config))
    broken["inferplane:spec"]["targets"]["claude-sonnet"]["kind"] = "bedrok"
    pack = packs.get(US, config=broken)
    found = engine_findings(pack, offline.graph(f"shipped {US}"))
    blocking = {(f[0], f[1], f[3]) for f in found if f[0] == "IP-SAF-009"}
    assert blocking == {("IP-SAF-009", None, "mandatory")}
    (message,) = [f[2] for f in found if f[0] == "IP-SAF-009"]
    assert "bedrok" in message
