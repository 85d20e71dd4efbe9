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

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.crossguard import build_policies, initial_config, org_policy  # noqa: E402

policy = org_policy({})

PolicyPack(
    name="inferplane",
    policies=build_policies(policy),
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config=initial_config(policy),
    description="inferplane: data residency, reserved capacity and safety of AI inference stacks.",
    display_name="inferplane policies",
    tags=["residency", "capacity", "safety"],
)
