"""The shipped stacks whose router runs on Lambda (planned whole) stream: the function runs
``run.sh`` under the Web Adapter layer of its region and architecture, behind a
RESPONSE_STREAM URL, and its environment still fits Lambda's 4 KB (issue 15)."""

from __future__ import annotations

import pytest

from inferplane.components.aws.web_adapter import adapter_environment, layer_arn
from inferplane.components.router import HEALTH_PATH, ROUTER_PORT
from tests.deployment.test_router_lambda import plan, router_function

STACKS = ("dev", "prod-us-east-1")
URL = "aws:lambda/functionUrl:FunctionUrl"
ENVIRONMENT_LIMIT = 4096
"""Lambda's limit on all of a function's environment variables together (bytes)."""


@pytest.mark.parametrize("stack", STACKS)
def test_stack_router_streams_through_the_web_adapter(stack: str) -> None:
    graph = plan(stack)
    function = router_function(graph).inputs
    assert function["handler"] == "run.sh"
    assert function["layers"] == [layer_arn(function["region"], function["architectures"][0])]
    variables = function["environment"]["variables"]
    assert adapter_environment(ROUTER_PORT, HEALTH_PATH).items() <= variables.items()
    assert sum(len(k) + len(v) for k, v in variables.items()) < ENVIRONMENT_LIMIT
    [url] = [r for r in graph.by_type(URL) if r.name == "router-fn-url"]
    assert url.inputs["invokeMode"] == "RESPONSE_STREAM"
