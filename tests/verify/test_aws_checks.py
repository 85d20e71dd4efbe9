"""SageMaker endpoints and Lambda functions, against moto."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.verify import RouterAccess, StackOutputs, run_verify
from inferplane.verify.checks import lambda_function, sagemaker_endpoint
from tests.verify.conftest import REGION, create_endpoint, create_function

pytestmark = pytest.mark.usefixtures("aws")


def _verify(spec: Any, outputs: StackOutputs) -> Any:
    return run_verify(spec, "t", outputs, {"aws": REGION}, router=RouterAccess())


def _outputs(**targets: dict[str, str]) -> StackOutputs:
    return StackOutputs(targets=targets, router_function="router-fn")


def test_endpoint_in_service_passes(spec: Any) -> None:
    create_endpoint("mistral-ep")
    report = _verify(spec, _outputs(**{"mistral-sm": {"endpoint_name": "mistral-ep"}}))
    (result,) = report.of(sagemaker_endpoint.NAME)
    assert result.status == "pass"
    assert result.reason == "mistral-ep is InService"
    assert result.elapsed_ms is not None


def test_missing_endpoint_fails(spec: Any) -> None:
    report = _verify(spec, _outputs(**{"mistral-sm": {"endpoint_name": "gone"}}))
    (result,) = report.of(sagemaker_endpoint.NAME)
    assert result.status == "fail"
    assert result.reason.startswith("gone: Could not find endpoint")


def test_failed_endpoint_fails_with_its_reason(spec: Any) -> None:
    from moto.sagemaker.models import sagemaker_backends

    create_endpoint("mistral-ep")
    endpoint = sagemaker_backends["123456789012"][REGION].endpoints["mistral-ep"]
    # moto endpoints are InService at once; put one into the state a failed deploy leaves.
    vars(endpoint).update(endpoint_status="Failed", failure_reason="CannotStartContainerError")
    report = _verify(spec, _outputs(**{"mistral-sm": {"endpoint_name": "mistral-ep"}}))
    (result,) = report.of(sagemaker_endpoint.NAME)
    assert result.status == "fail"
    assert result.reason == "mistral-ep is Failed: CannotStartContainerError"


def test_endpoint_without_outputs_could_not_be_checked(spec: Any) -> None:
    (result,) = _verify(spec, _outputs()).of(sagemaker_endpoint.NAME)
    assert result.status == "could-not-check"


def test_active_functions_pass(spec: Any) -> None:
    create_function("summarize")
    create_function("router-fn")
    report = _verify(spec, _outputs(**{"summarize-fn": {"endpoint_name": "summarize"}}))
    results = {r.subject: r for r in report.of(lambda_function.NAME)}
    assert results["summarize-fn"].status == "pass"
    assert results["router"].status == "pass"
    assert results["router"].reason == "router-fn is Active"


def test_missing_function_fails(spec: Any) -> None:
    report = _verify(spec, _outputs(**{"summarize-fn": {"function_name": "nope"}}))
    results = {r.subject: r for r in report.of(lambda_function.NAME)}
    assert results["summarize-fn"].status == "fail"
    assert results["summarize-fn"].reason == "function nope does not exist"


def test_failed_function_state_fails(spec: Any) -> None:
    from moto.awslambda.models import lambda_backends

    create_function("summarize")
    function = lambda_backends["123456789012"][REGION].get_function("summarize")
    function.state = "Failed"
    report = _verify(spec, _outputs(**{"summarize-fn": {"endpoint_name": "summarize"}}))
    (result,) = [r for r in report.of(lambda_function.NAME) if r.subject == "summarize-fn"]
    assert result.status == "fail"
    assert result.reason.startswith("summarize is Failed")


def test_router_function_missing_from_outputs(spec: Any) -> None:
    report = _verify(spec, StackOutputs())
    (result,) = [r for r in report.of(lambda_function.NAME) if r.subject == "router"]
    assert result.status == "could-not-check"
    assert result.reason == "the outputs have no router_function"
