"""The Bedrock fakes check a Converse request against botocore's bedrock-runtime model as
Bedrock's front end does, and their own answers fit the model's output shapes (an answer
botocore can parse is not enough: the fake must not drift from the service)."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError

from inferplane.router.config import TargetConfig
from inferplane.smoke.converse_function import FunctionBedrock
from inferplane.smoke.credentials import Book
from inferplane.smoke.server import Call, LoopbackServer
from inferplane.smoke.service_model import operation_model, shape_problems, validate_request
from inferplane.smoke.targets import AwsApis, Recorder
from inferplane.smoke.wire import bedrock_reply, operation
from tests.support.unchecked import unchecked

MODEL = "amazon.nova-lite-v1:0"
PATH = "/model/amazon.nova-lite-v1%3A0/converse"
USER = {"role": "user", "content": [{"text": "hi"}]}


def _target() -> TargetConfig:
    return TargetConfig.model_validate(
        {
            "backend": "bedrock",
            "model": MODEL,
            "region": "us-east-1",
            "location": "cloud:aws:us-east-1",
            "allowed_data_classes": ["public"],
        }
    )


def _call(body: dict[str, Any], path: str = PATH, method: str = "POST") -> Call:
    return Call(method, path, {"content-type": "application/json"}, json.dumps(body).encode())


def test_a_valid_converse_request_passes_with_its_uri_members() -> None:
    body = {
        "messages": [USER],
        "system": [{"text": "be brief"}],
        "inferenceConfig": {"maxTokens": 30, "temperature": 0.5, "stopSequences": ["END"]},
    }
    assert validate_request("bedrock-runtime", "Converse", _call(body)) == (
        {"modelId": MODEL},
        None,
    )
    stream = _call(body, PATH + "-stream")
    assert validate_request("bedrock-runtime", "ConverseStream", stream) == (
        {"modelId": MODEL},
        None,
    )


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (
            {"messages": [USER], "temperature": 1},
            "unknown member 'temperature'; allowed: messages,",
        ),
        ({"messages": [{"role": "user"}]}, "member 'messages.0.member.content' is required"),
        (
            {"messages": [{"role": "tool", "content": [{"text": "x"}]}]},
            "value at 'messages.0.member.role' is 'tool'; allowed: user, assistant, system",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"text": "a", "cachePoint": {"type": "default"}}]}
                ]
            },
            "messages.0.member.content.0.member must set exactly one of text, image,",
        ),
        (
            {"messages": [USER], "inferenceConfig": {"maxTokens": 0}},
            "value at 'inferenceConfig.maxTokens' is 0, allowed 1..",
        ),
        (
            {"messages": [USER], "inferenceConfig": {"temperature": "hot"}},
            "value at 'inferenceConfig.temperature' is 'hot', a number is required",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"image": {"format": "png", "source": {"bytes": "***"}}}],
                    }
                ]
            },
            "value at 'messages.0.member.content.0.member.image.source.bytes' is not valid base64",
        ),
        ({"messages": "hi"}, "value at 'messages' is str, a list is required"),
    ],
)
def test_what_bedrock_refuses_is_refused_with_the_members_path(
    body: dict[str, Any], why: str
) -> None:
    labels, problem = validate_request("bedrock-runtime", "Converse", _call(body))
    assert labels == {}
    assert problem is not None
    assert problem.startswith("1 validation error(s) detected: ")
    assert why in problem


@pytest.mark.parametrize(
    ("call", "why"),
    [
        (
            _call({"messages": [USER]}, "/model/m/invoke"),
            "path /model/m/invoke is not /model/{modelId}/converse (Converse)",
        ),
        (_call({"messages": [USER]}, method="PUT"), "PUT is not POST for Converse"),
        (
            Call("POST", PATH, {}, b"[1]"),
            "1 validation error(s) detected: the body is not a JSON object",
        ),
    ],
)
def test_a_call_that_is_not_the_operation_is_refused(call: Call, why: str) -> None:
    assert validate_request("bedrock-runtime", "Converse", call) == ({}, why)


def test_the_aws_apis_fake_refuses_a_member_converse_does_not_have() -> None:
    """The router's own ``bedrock`` targets meet the same model (before: any JSON object
    with ``messages`` passed)."""
    target = _target()
    assert operation(target, _call({"messages": [USER]})) == "chat"
    refused = operation(target, _call({"messages": [USER], "stream": True}))
    assert refused == (
        "1 validation error(s) detected: unknown member 'stream'; allowed: "
        + ", ".join(
            name
            for name, member in operation_model(
                "bedrock-runtime", "Converse"
            ).input_shape.members.items()
            if "location" not in member.serialization
        )
    )
    other = _call({"messages": [USER]}, "/model/amazon.nova-pro-v1%3A0/converse")
    assert (
        operation(target, other)
        == "model 'amazon.nova-pro-v1:0' is not the target's 'amazon.nova-lite-v1:0'"
    )
    fake = AwsApis(Book(), {"t": target}, Recorder())
    assert fake(_call({"messages": [USER], "stream": True})).status == 404


def test_the_fakes_converse_answer_fits_the_models_output_shape() -> None:
    reply = bedrock_reply(_target(), "chat", "hello")
    output = operation_model("bedrock-runtime", "Converse").output_shape
    assert shape_problems(output, json.loads(reply.body)) == []


def test_the_fakes_converse_stream_events_fit_the_models_event_shapes() -> None:
    reply = bedrock_reply(_target(), "stream", "hello")
    assert reply.content_type == "application/vnd.amazon.eventstream"
    stream = operation_model("bedrock-runtime", "ConverseStream").output_shape.members["stream"]
    decoder = EventStreamBuffer()
    decoder.add_data(reply.body)  # the prelude and message CRCs are checked here
    seen: list[str] = []
    for message in decoder:
        headers = unchecked(message.headers)  # botocore's stubs type it loosely
        assert headers[":message-type"] == "event"
        assert headers[":content-type"] == "application/json"
        event_type = headers[":event-type"]
        seen.append(event_type)
        assert shape_problems(stream.members[event_type], json.loads(message.payload)) == []
    assert seen == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]


ROLE = "arn:aws:iam::000000000000:role/smoke-fn"


def test_the_functions_bedrock_answers_only_its_role_for_its_model() -> None:
    book, recorder = Book(), Recorder()
    fake = FunctionBedrock(book, "fn", _target(), ROLE, recorder)
    role_id, role_key = book.aws_key(role_arn=ROLE, session=True)
    router_id, router_key = book.aws_key()
    with LoopbackServer(fake) as server:
        fake.host_url = server.url

        def client(key_id: str, secret: str, token: str | None = None) -> Any:
            return boto3.client(
                "bedrock-runtime",
                region_name="us-east-1",
                endpoint_url=server.url,
                aws_access_key_id=key_id,
                aws_secret_access_key=secret,
                aws_session_token=token,
                config=Config(retries={"max_attempts": 1}),
            )

        role = client(role_id, role_key.secret, role_key.session_token)
        user = [{"role": "user", "content": [{"text": "smoke-0123456789ab hi"}]}]
        answer = role.converse(modelId=MODEL, messages=user)
        events = list(role.converse_stream(modelId=MODEL, messages=user)["stream"])
        codes = []
        for caller, model, messages in [
            (client(router_id, router_key.secret), MODEL, user),
            (role, "amazon.nova-pro-v1:0", user),
            # botocore does not check enums; Bedrock does
            (role, MODEL, [{"role": "tool", "content": [{"text": "x"}]}]),
        ]:
            with pytest.raises(ClientError) as failed:
                caller.converse(modelId=model, messages=messages)
            codes.append(failed.value.response["Error"]["Code"])
    assert answer["output"]["message"]["content"] == [
        {"text": "answer from fn (smoke-0123456789ab)"}
    ]
    assert [next(iter(e)) for e in events][-2:] == ["messageStop", "metadata"]
    assert codes == ["AccessDeniedException", "AccessDeniedException", "ValidationException"]
    refusals = [r.refused for r in recorder.received]
    assert refusals[:2] == [None, None]
    assert refusals[2] == f"bedrock: credentials of role None, the target trusts {ROLE!r}"
    assert refusals[3] == (f"bedrock: {ROLE} may invoke {MODEL!r} only, not 'amazon.nova-pro-v1:0'")
    assert refusals[4] is not None
    assert "'messages.0.member.role' is 'tool'; allowed: user, assistant, system" in refusals[4]


TOOL_USE = {"toolUseId": "tooluse_1", "name": "forecast", "input": {"city": "Bern"}}
TOOL_RESULT = {"toolUseId": "tooluse_1", "content": [{"text": "sunny"}]}
GIF_AS_PNG = {"format": "png", "source": {"bytes": base64.b64encode(b"GIF89a\x01\x00").decode()}}


@pytest.mark.parametrize(
    ("messages", "why"),
    [
        (
            [{"role": "assistant", "content": [{"text": "x"}]}],
            "A conversation must alternate between user and assistant roles",
        ),
        (
            [{"role": "user", "content": [{"text": "look"}, {"image": GIF_AS_PNG}]}],
            "messages.0.content.1: The provided image does not match the format png",
        ),
        (  # a tool use answered, on the wire, without toolConfig
            [
                {"role": "user", "content": [{"text": "x"}]},
                {"role": "assistant", "content": [{"toolUse": TOOL_USE}]},
                {"role": "user", "content": [{"toolResult": TOOL_RESULT}]},
            ],
            "The toolConfig field must be defined when using toolUse and toolResult content "
            "blocks.",
        ),
    ],
)
def test_the_smokes_fake_bedrock_applies_bedrocks_own_rules(
    messages: list[dict[str, Any]], why: str
) -> None:
    """One checker: the rules the tests' boto3 double refuses (roles alternate, image bytes
    match their format) are the smoke fakes' too, on the wire where a blob is base64."""
    assert validate_request("bedrock-runtime", "Converse", _call({"messages": messages})) == (
        {},
        f"1 validation error(s) detected: {why}",
    )
