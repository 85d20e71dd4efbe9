"""Verify: after a deploy, from the stack outputs -- SageMaker endpoints InService, Lambda
functions Active, the router answering ``/healthz`` and a real chat request -- a report
with timings."""

from __future__ import annotations

from inferplane.verify.context import RouterAccess
from inferplane.verify.outputs import StackOutputs, load_outputs
from inferplane.verify.runner import CHECKS, run_verify

__all__ = ["CHECKS", "RouterAccess", "StackOutputs", "load_outputs", "run_verify"]
