"""The CrossGuard policy pack: ``pulumi preview --policy-pack policies``.

The ONLY place a PolicyPack is built: constructing one starts the analyzer's gRPC server
and blocks forever, so nothing may import this module (tests use policies.crossguard)."""

import sys
from pathlib import Path

# The engine runs this file from policies/: import the package from the project root, and
# keep this directory's modules (config, model, ...) from shadowing top-level names.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))

import pulumi_policy.policy as _analyzer  # noqa: E402
from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from inferplane.errors import InferplaneError  # noqa: E402
from policies.crossguard import (  # noqa: E402
    build_policies,
    initial_config,
    org_policy,
    org_policy_servicer,
)

# Enforcement comes from the org policy, also when the engine's Configure names the file
# (policies.crossguard.enforce_org_policy); PolicyPack builds this servicer class.
_analyzer._PolicyAnalyzerServicer = org_policy_servicer(_analyzer._PolicyAnalyzerServicer)

try:
    policy = org_policy({})
except InferplaneError as exc:
    # A refused org policy (INFERPLANE_POLICY_CONFIG) stops the pack before it serves:
    # the engine fails the preview and shows this line, not a traceback.
    print(f"inferplane policy pack: org policy refused: {exc}", file=sys.stderr)
    sys.exit(1)

PolicyPack(
    name="inferplane",
    policies=build_policies(policy),
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config=initial_config(policy),
    description="inferplane: data residency, reserved capacity and safety of AI inference stacks.",
    display_name="inferplane policies",
    tags=["residency", "capacity", "safety"],
)
