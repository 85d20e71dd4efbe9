"""The router on Lambda streams: its function runs the zip's ``run.sh`` under the Lambda Web
Adapter layer, behind a RESPONSE_STREAM function URL (issue 15).

Recorded from the real RouterService; the Function and FunctionUrl inputs are turned into
the CreateFunction / CreateFunctionUrlConfig requests the provider sends and checked
against botocore's shapes, with the patterns and enums ``ParamValidator`` skips."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

import botocore.session
import pulumi
import pytest
from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape
from botocore.validate import ParamValidator

from inferplane.components.aws import web_adapter
from inferplane.components.base import Labels
from inferplane.components.router import CONFIG_ENV
from inferplane.components.router.aws_lambda import LambdaRouter, LambdaRouterArgs
from inferplane.packaging import lambda_zip
from inferplane.plan import Graph
from tests.support.recording import only, record, refusal

LABELS = Labels("prod", "ml-platform", "cc-4711", "us", "confidential", "router")
CONFIG = '{"stack": "test"}'
FUNCTION = "aws:lambda/function:Function"
URL = "aws:lambda/functionUrl:FunctionUrl"


def _router(
    region: str = "us-east-1", architecture: Literal["x86_64", "arm64"] = "arm64"
) -> LambdaRouter:
    return LambdaRouter(
        "router",
        LambdaRouterArgs(
            config_json=CONFIG,
            labels=LABELS,
            region=region,
            code=pulumi.FileArchive("build/router/router-lambda.zip"),
            architecture=architecture,
        ),
    )


def _graph(region: str = "us-east-1", architecture: Literal["x86_64", "arm64"] = "arm64") -> Graph:
    return record(lambda: _router(region, architecture))


def create_function(inputs: dict[str, Any]) -> dict[str, Any]:
    """The CreateFunction request pulumi-aws sends for these recorded inputs."""
    return {
        "FunctionName": inputs["name"],
        "Runtime": inputs["runtime"],
        "Role": inputs["role"],
        "Handler": inputs["handler"],
        "Code": {"ZipFile": b"PK"},
        "Timeout": int(inputs["timeout"]),
        "MemorySize": int(inputs["memorySize"]),
        "Environment": {"Variables": inputs["environment"]["variables"]},
        "Layers": inputs["layers"],
        "Architectures": inputs["architectures"],
    }


def create_function_url(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "FunctionName": inputs["functionName"],
        "AuthType": inputs["authorizationType"],
        "InvokeMode": inputs["invokeMode"],
    }


def shape_errors(operation: str, request: dict[str, Any]) -> list[str]:
    """botocore's own validation, then every pattern and enum of the shapes it skips."""
    shape = _input_shape(operation)
    report = ParamValidator().validate(request, shape)
    errors = [report.generate_report()] if report.has_errors() else []
    return errors + list(_patterns(shape, request, operation))


def _input_shape(operation: str) -> StructureShape:
    model = botocore.session.get_session().get_service_model("lambda")
    shape = model.operation_model(operation).input_shape
    assert shape is not None
    return shape


def _patterns(shape: Shape, value: Any, path: str) -> Iterator[str]:
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if name in value:
                yield from _patterns(member, value[name], f"{path}.{name}")
    elif isinstance(shape, ListShape):
        for index, item in enumerate(value):
            yield from _patterns(shape.member, item, f"{path}[{index}]")
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            yield from _patterns(shape.key, key, f"{path} key")
            yield from _patterns(shape.value, item, f"{path}[{key}]")
    elif isinstance(shape, StringShape):
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            yield f"{path}: {value!r} does not match {pattern}"
        if shape.enum and value not in shape.enum:
            yield f"{path}: {value!r} is not one of {shape.enum}"


def test_router_function_runs_the_zip_under_the_web_adapter_layer() -> None:
    graph = _graph()
    inputs = only(graph, FUNCTION).inputs
    assert inputs["handler"] == lambda_zip.HANDLER == "run.sh"
    assert inputs["layers"] == [
        "arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:26"
    ]
    assert inputs["environment"]["variables"] == {
        CONFIG_ENV: CONFIG,
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
        "AWS_LWA_INVOKE_MODE": "response_stream",
        "AWS_LWA_PORT": "8088",
        "AWS_LWA_READINESS_CHECK_PATH": "/healthz",
        "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS": "200",
    }
    url = only(graph, URL).inputs
    assert (url["invokeMode"], url["authorizationType"]) == ("RESPONSE_STREAM", "AWS_IAM")


@pytest.mark.parametrize(
    ("region", "architecture", "layer"),
    [
        (
            "us-east-1",
            "x86_64",
            "arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26",
        ),
        (
            "eu-central-1",
            "arm64",
            "arn:aws:lambda:eu-central-1:753240598075:layer:LambdaAdapterLayerArm64:26",
        ),
        (
            "cn-north-1",
            "x86_64",
            "arn:aws-cn:lambda:cn-north-1:041581134020:layer:LambdaAdapterLayerX86:26",
        ),
    ],
)
def test_rendered_requests_fit_botocores_shapes(
    region: str, architecture: Literal["x86_64", "arm64"], layer: str
) -> None:
    graph = _graph(region, architecture)
    function = create_function(only(graph, FUNCTION).inputs)
    assert function["Layers"] == [layer]
    assert shape_errors("CreateFunction", function) == []
    assert (
        shape_errors("CreateFunctionUrlConfig", create_function_url(only(graph, URL).inputs)) == []
    )


def test_shape_check_can_fail() -> None:
    function = create_function(only(_graph(), FUNCTION).inputs)
    broken = {**function, "Layers": ["arn:aws:lambda:us-east-1:753240598075:layer:X"]}
    assert shape_errors("CreateFunction", broken) == [
        "CreateFunction.Layers[0]: 'arn:aws:lambda:us-east-1:753240598075:layer:X' does not "
        "match " + _layer_pattern()
    ]
    url = {"FunctionName": "router", "AuthType": "AWS_IAM", "InvokeMode": "STREAM"}
    assert shape_errors("CreateFunctionUrlConfig", url) == [
        "CreateFunctionUrlConfig.InvokeMode: 'STREAM' is not one of ['BUFFERED', 'RESPONSE_STREAM']"
    ]


def _layer_pattern() -> str:
    layers = _input_shape("CreateFunction").members["Layers"]
    assert isinstance(layers, ListShape)
    return str(layers.member.metadata["pattern"])


@pytest.mark.parametrize(
    ("region", "architecture", "message"),
    [
        (
            "us-gov-west-1",
            "arm64",
            "region: no AWS Lambda Web Adapter layer is known for 'us-gov-west-1'",
        ),
        ("cn-north-1", "arm64", "published for x86_64 only, not 'arm64'"),
    ],
)
def test_a_region_without_a_known_layer_is_refused(
    region: str, architecture: Literal["x86_64", "arm64"], message: str
) -> None:
    error, graph = refusal(lambda: _router(region, architecture))
    assert message in str(error)
    assert not graph.by_type(FUNCTION)


def test_every_layer_region_is_a_lambda_region() -> None:
    import boto3

    session = boto3.session.Session()
    regions = {
        region
        for partition in ("aws", "aws-cn")
        for region in session.get_available_regions("lambda", partition_name=partition)
    }
    assert set(web_adapter.LAYER_REGIONS) <= regions
