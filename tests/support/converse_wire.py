"""What Bedrock enforces on a Converse / ConverseStream request, for the fakes that stand in
for it: the shape botocore's bedrock-runtime service model declares (a real boto3 client
refuses anything else before sending: ``ParamValidationError``), then the rules the service
itself applies (a ``ValidationException``): the conversation starts with a user turn and
alternates, text blocks are not empty, and an image's bytes are an image of the format the
block declares, at most 3.75 MB, at most 20 images per request (Bedrock user guide,
"ImageBlock" and Converse API limits)."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import ServiceModel, Shape
from botocore.validate import ParamValidator

__all__ = ["IMAGE_SIGNATURES", "check_converse", "service_model"]

MAX_IMAGE_BYTES = 3_750_000
MAX_IMAGES = 20
IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
}
"""The first bytes of each ``ImageFormat`` Converse takes."""


@cache
def service_model() -> ServiceModel:
    loader = botocore.session.get_session().get_component("data_loader")
    return ServiceModel(loader.load_service_model("bedrock-runtime", "service-2"))


def _input_shape(operation: str) -> Shape:
    shape = service_model().operation_model(operation).input_shape
    assert shape is not None
    return shape


def check_converse(operation: str, request: dict[str, Any]) -> None:
    """Raise what boto3 or Bedrock would for ``request`` to ``operation`` (``Converse`` or
    ``ConverseStream``); return when Bedrock would take it."""
    report = ParamValidator().validate(request, _input_shape(operation))
    if report.has_errors():
        raise ParamValidationError(report=report.generate_report())
    messages = request["messages"]
    images = 0
    for index, message in enumerate(messages):
        expected = "user" if index % 2 == 0 else "assistant"
        if message["role"] != expected:
            _invalid(operation, "A conversation must alternate between user and assistant roles")
        for block in message["content"]:
            if "text" in block and not block["text"]:
                _invalid(operation, "The text field in the ContentBlock object is blank")
            if "image" in block:
                images += 1
                _check_image(operation, block["image"], message["role"])
    if images > MAX_IMAGES:
        _invalid(operation, f"Too many images: {images} (at most {MAX_IMAGES})")


def _check_image(operation: str, image: dict[str, Any], role: str) -> None:
    if role != "user":
        _invalid(operation, "Images are only supported in user messages")
    if image["format"] not in IMAGE_SIGNATURES:  # botocore's validator skips enums
        _invalid(
            operation,
            f"Value {image['format']!r} at 'image.format' failed to satisfy "
            "constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]",
        )
    data = image["source"].get("bytes")
    if not isinstance(data, bytes):
        _invalid(operation, "The image source must hold the image bytes")
    assert isinstance(data, bytes)
    if len(data) > MAX_IMAGE_BYTES:
        _invalid(operation, "The image exceeds the maximum size of 3.75 MB")
    if not data.startswith(IMAGE_SIGNATURES[image["format"]]):
        _invalid(operation, f"The provided image does not match the format {image['format']}")


def _invalid(operation: str, message: str) -> None:
    response: Any = {
        "Error": {"Code": "ValidationException", "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    raise ClientError(response, operation)
