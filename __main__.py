"""Composition root: stack config -> StackSpec -> deployment -> stack outputs."""

from __future__ import annotations

import pulumi

from inferplane.deployment import DeployContext, deploy
from inferplane.errors import SpecError
from inferplane.spec import SPEC_KEY, parse_spec
from inferplane.stackoutputs import stack_outputs

PROVIDER_REGIONS = {
    "aws": ("aws", "region"),
    "gcp": ("gcp", "region"),
    "azure": ("azure-native", "location"),
}

regions = {
    cloud: value
    for cloud, (namespace, key) in PROVIDER_REGIONS.items()
    if (value := pulumi.Config(namespace).get(key))
}
try:
    spec = parse_spec(
        pulumi.Config("inferplane").get_object("spec"),
        f"stack {pulumi.get_stack()} ({SPEC_KEY})",
        regions,
    )
except SpecError as error:
    # A clean message instead of a traceback, and nothing is created.
    raise pulumi.RunError(str(error)) from None

deployment = deploy(spec, DeployContext(spec, pulumi.get_stack(), regions))

for name, value in stack_outputs(spec, deployment).items():
    pulumi.export(name, value)
