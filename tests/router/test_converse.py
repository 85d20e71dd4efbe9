"""The OpenAI <-> Converse translator (``router.converse``) as a table, checked against
Bedrock's own API model (botocore's bedrock-runtime service model): every request it
builds is valid Converse input, its temperature range is Converse's, and every error and
stop reason the API declares has a mapping."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.model import ServiceModel, StringShape, StructureShape
from botocore.validate import ParamValidator

from inferplane.router.converse import (
    FINISH_REASONS,
    IMAGE_FORMATS,
    STATUS_BY_CODE,
    TEMPERATURE_RANGE,
    StreamStep,
    StreamTranslation,
    TranslationError,
    status_for,
    to_completion,
    to_converse,
)
from tests.support.bedrock import check_converse
from tests.support.images import GIF, PNG, image_part, png_url

MODEL = "eu.anthropic.claude-3-haiku-20240307-v1:0"


def _service() -> ServiceModel:
    loader = botocore.session.get_session().get_component("data_loader")
    return ServiceModel(loader.load_service_model("bedrock-runtime", "service-2"))


SERVICE = _service()


def _structure(name: str) -> StructureShape:
    shape = SERVICE.shape_for(name)
    assert isinstance(shape, StructureShape)
    return shape


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def text(*texts: str) -> list[dict[str, str]]:
    return [{"text": t} for t in texts]


# (OpenAI body, expected Converse request without modelId)
REQUESTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"messages": [user("hi")]}, {"messages": [{"role": "user", "content": text("hi")}]}),
    (  # system and developer go to system, in order; consecutive users merge (Converse
        # rejects two turns of one role); each message stays its own block
        {
            "messages": [
                {"role": "system", "content": "be brief"},
                user("hi"),
                {"role": "developer", "content": "in German"},
                user([{"type": "text", "text": "there"}, {"type": "text", "text": "!"}]),
            ]
        },
        {
            "system": text("be brief", "in German"),
            "messages": [{"role": "user", "content": text("hi", "there\n!")}],
        },
    ),
    (  # an assistant turn without text keeps its place (tools: test_converse_tools.py)
        {
            "messages": [
                user("weather?"),
                {"role": "assistant", "content": None},
                user("sunny"),
                user("warm"),
                {"role": "assistant", "content": "Sunny."},
                {"role": "assistant", "content": "And warm."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": text("weather?")},
                {"role": "assistant", "content": text(" ")},
                {"role": "user", "content": text("sunny", "warm")},
                {"role": "assistant", "content": text("Sunny.", "And warm.")},
            ]
        },
    ),
    (  # OpenAI's temperature runs to 2, Converse's to 1: clamped, not refused
        {"messages": [user("hi")], "temperature": 1.7, "top_p": 0.5, "max_tokens": 9},
        {
            "messages": [{"role": "user", "content": text("hi")}],
            "inferenceConfig": {"temperature": 1.0, "topP": 0.5, "maxTokens": 9},
        },
    ),
    (  # the newer name wins; temperature 0 is a value, not "unset"; empty stops dropped
        {
            "messages": [user("hi")],
            "temperature": 0,
            "max_tokens": 9,
            "max_completion_tokens": 5,
            "stop": ["END", ""],
        },
        {
            "messages": [{"role": "user", "content": text("hi")}],
            "inferenceConfig": {"temperature": 0.0, "maxTokens": 5, "stopSequences": ["END"]},
        },
    ),
    (
        {"messages": [user("hi")], "stop": "", "temperature": None, "seed": 3, "n": 1},
        {"messages": [{"role": "user", "content": text("hi")}]},
    ),
    (  # images keep their place among the texts, as bytes of the declared format
        {
            "messages": [
                user(
                    [
                        {"type": "text", "text": "compare"},
                        image_part(png_url()),
                        {"type": "image_url", "image_url": {"url": png_url(GIF, "image/gif")}},
                        {"type": "text", "text": "please"},
                    ]
                ),
                {"role": "assistant", "content": "A dot and a dot."},
                user([image_part(png_url(PNG, "IMAGE/PNG"))]),
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"text": "compare"},
                        {"image": {"format": "png", "source": {"bytes": PNG}}},
                        {"image": {"format": "gif", "source": {"bytes": GIF}}},
                        {"text": "please"},
                    ],
                },
                {"role": "assistant", "content": text("A dot and a dot.")},
                {
                    "role": "user",
                    "content": [{"image": {"format": "png", "source": {"bytes": PNG}}}],
                },
            ]
        },
    ),
    (
        {"messages": [user("")], "stop": "\n"},
        {
            "messages": [{"role": "user", "content": text(" ")}],
            "inferenceConfig": {"stopSequences": ["\n"]},
        },
    ),
]


@pytest.mark.parametrize(("body", "expected"), REQUESTS)
def test_requests(body: dict[str, Any], expected: dict[str, Any]) -> None:
    request = to_converse(body, MODEL)
    assert request == {"modelId": MODEL, **expected}
    shape = SERVICE.operation_model("Converse").input_shape
    assert shape is not None
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    check_converse("Converse", request)  # and Bedrock's own rules (roles, image bytes)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "body must be a JSON object with a messages list"),
        ({"messages": "hi"}, "body must be a JSON object with a messages list"),
        ({"messages": []}, "messages: must hold at least one message"),
        ({"messages": ["hi"]}, "messages[0].role: None is not one of"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role: 'robot'"),
        (
            {"messages": [user([{"type": "text", "text": "a"}, {"type": "image_url"}])]},
            "messages[0].content[1].image_url: must be an object with a url string",
        ),
        (
            {"messages": [user("a"), user([image_part("https://example.com/cat.png")])]},
            "messages[1].content[0]: Bedrock Converse cannot take an image URL; allowed: text, "
            "and image_url parts with a base64 data: URL of image/gif, image/jpeg, image/png, "
            "image/webp",
        ),
        (
            {"messages": [user([image_part(png_url(PNG, "image/bmp"))])]},
            "messages[0].content[0]: Bedrock Converse cannot take an inline image of type "
            "'image/bmp'; allowed:",
        ),
        (
            {"messages": [user([image_part("data:image/png;base64,iVBOR%%")])]},
            "messages[0].content[0].image_url.url: the base64 data does not decode",
        ),
        (
            {"messages": [user([image_part("data:image/png,rawbytes")])]},
            "messages[0].content[0].image_url.url: a data: URL must read "
            "data:image/<type>;base64,<data>",
        ),
        (
            {"messages": [user([image_part("s3://bucket/cat.png")])]},
            "messages[0].content[0].image_url.url: 's3://bucket/cat.png' is neither a data: URL "
            "nor an http(s) URL",
        ),
        (
            {"messages": [user([{"type": "text", "text": 7}])]},
            "messages[0].content[0].text: must be a string",
        ),
        (
            {"messages": [user([{"image_url": {"url": "https://x.test/a.png"}}])]},
            "messages[0].content[0]: a part without a type cannot be sent to this target",
        ),
        (
            {"messages": [user([{"type": "file", "file": {"file_id": "f"}}])]},
            "messages[0].content[0]: a 'file' part cannot be sent to this target; allowed: "
            "text, image_url",
        ),
        (
            {"messages": [{"role": "system", "content": [image_part(png_url())]}, user("x")]},
            "messages[0].content[0]: only user messages may hold images, not system messages",
        ),
        (
            {"messages": [user("x"), {"role": "assistant", "content": [image_part(png_url())]}]},
            "messages[1].content[0]: only user messages may hold images, not assistant messages",
        ),
        ({"messages": [user(7)]}, "messages[0].content: must be a string or a list of parts"),
        ({"messages": [user("x")], "max_tokens": 0}, "max_tokens: must be an integer >= 1"),
        ({"messages": [user("x")], "max_tokens": True}, "max_tokens: must be an integer"),
        ({"messages": [user("x")], "temperature": "hot"}, "temperature: must be a number"),
        ({"messages": [user("x")], "stop": [1]}, "stop: must be a string or a list of strings"),
    ],
)
def test_refusals_name_the_field(body: Any, message: str) -> None:
    with pytest.raises(TranslationError) as caught:
        to_converse(body, MODEL)
    assert message in str(caught.value)


def test_image_formats_are_converses() -> None:
    formats = SERVICE.shape_for("ImageFormat")
    assert isinstance(formats, StringShape)
    assert set(IMAGE_FORMATS.values()) == set(formats.enum)
    source = _structure("ImageSource").members
    # Bytes, or an S3 object read with the deployment's role (never offered to callers).
    assert set(source) <= {"bytes", "s3Location"}


def test_temperature_range_is_converses() -> None:
    config = _structure("InferenceConfiguration").members
    temperature = config["temperature"].metadata
    assert (temperature["min"], temperature["max"]) == TEMPERATURE_RANGE


ANSWER = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "hmm"}}},
                {"text": "Hal"},
                {"text": "lo"},
            ],
        }
    },
    "stopReason": "max_tokens",
    "usage": {"inputTokens": 7, "outputTokens": 2, "totalTokens": 9},
}


def test_answer_becomes_a_chat_completion() -> None:
    completion = to_completion(ANSWER, MODEL, "chatcmpl-1")
    assert {k: v for k, v in completion.items() if k != "created"} == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hallo", "refusal": None},
                "logprobs": None,
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
    }


@pytest.mark.parametrize(
    ("stop", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_calls"),
        ("malformed_tool_use", "tool_calls"),
        ("content_filtered", "content_filter"),
        ("guardrail_intervened", "content_filter"),
        ("malformed_model_output", "stop"),
        (None, "stop"),
    ],
)
def test_stop_reasons(stop: str | None, finish: str) -> None:
    answer = {**ANSWER, "stopReason": stop}
    assert to_completion(answer, MODEL)["choices"][0]["finish_reason"] == finish


def test_every_stop_reason_of_the_api_is_decided() -> None:
    reasons = SERVICE.shape_for("StopReason")
    assert isinstance(reasons, StringShape)
    declared = set(reasons.enum)
    # Only a malformed answer falls through to "stop" (OpenAI has no better reason).
    assert declared - set(FINISH_REASONS) == {"malformed_model_output"}
    assert set(FINISH_REASONS) <= declared


def test_stream_events_become_chunk_deltas() -> None:
    events: list[dict[str, Any]] = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"start": {}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"reasoningContent": {"text": "hmm"}}}},
        {"contentBlockDelta": {"delta": {"text": "Hal"}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": ""}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": "lo"}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "stop_sequence"}},
        {"metadata": {"usage": {"inputTokens": 4, "outputTokens": 2}, "metrics": {}}},
    ]
    translation = StreamTranslation()
    steps = [step for event in events if (step := translation.step(event)) is not None]
    assert steps == [
        StreamStep({"role": "assistant", "content": ""}),
        StreamStep({"content": "Hal"}),
        StreamStep({"content": "lo"}),
        StreamStep({}, "stop"),
    ]
    assert translation.finished
    assert translation.usage == (4, 2)


def test_a_stream_without_message_stop_is_not_finished() -> None:
    translation = StreamTranslation()
    translation.step({"messageStart": {"role": "assistant"}})
    translation.step({"contentBlockDelta": {"delta": {"text": "Hal"}}})
    assert not translation.finished


@pytest.mark.parametrize(
    ("code", "http", "status"),
    [
        ("ValidationException", 400, 400),
        ("ThrottlingException", 429, 429),
        ("throttlingException", None, 429),  # event-stream errors are camelCase
        ("ServiceQuotaExceededException", 400, 429),
        # The deployment's identity or model, not the caller's: 503, never 403/404.
        ("AccessDeniedException", 403, 503),
        ("ResourceNotFoundException", 404, 503),
        ("ModelNotReadyException", 429, 503),
        ("ServiceUnavailableException", 503, 503),
        ("ModelTimeoutException", 408, 504),
        ("InternalServerException", 500, 502),
        ("ModelErrorException", 424, 502),
        ("modelStreamErrorException", None, 502),
        ("SomethingNew", 418, 418),
        ("SomethingNew", None, 502),
    ],
)
def test_error_statuses(code: str, http: int | None, status: int) -> None:
    assert status_for(code, http) == status


def test_every_error_the_api_declares_has_a_status() -> None:
    declared = set()
    for name in ("Converse", "ConverseStream"):
        declared |= {shape.name for shape in SERVICE.operation_model(name).error_shapes}
    events = _structure("ConverseStreamOutput").members
    declared |= {shape.name for shape in events.values() if shape.metadata.get("exception")}
    assert declared
    assert {name.lower() for name in declared} <= set(STATUS_BY_CODE)
