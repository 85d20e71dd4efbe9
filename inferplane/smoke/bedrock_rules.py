"""What Bedrock refuses in a Converse / ConverseStream request that botocore's
bedrock-runtime model lets through: the service's own ``ValidationException`` rules.

The conversation starts with a user turn and alternates, a text block is not blank, an
image sits in a user turn, its bytes are an image of the format the block declares, at most
3.75 MB each and at most 20 per request (Bedrock user guide: ``ImageBlock``, Converse API
limits). ``service_model.validate_request`` applies them after the shape check, so every
fake Bedrock (the smoke's, the tests' boto3 double) refuses the same requests with the
same words; they read the body as it is on the wire (a blob is base64 text) and assume it
already fits the model's shape."""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["IMAGE_SIGNATURES", "MAX_IMAGES", "MAX_IMAGE_BYTES", "converse_problems"]

MAX_IMAGE_BYTES = 3_750_000
MAX_IMAGES = 20
IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
}
"""The first bytes of each ``ImageFormat`` Converse takes."""


def converse_problems(body: dict[str, Any]) -> list[str]:
    """Why Bedrock refuses ``body`` (a Converse request that fits botocore's shape), in
    the service's words; [] when it takes it."""
    problems: list[str] = []
    images = 0
    for index, message in enumerate(body["messages"]):
        expected = "user" if index % 2 == 0 else "assistant"
        if message["role"] != expected:
            problems.append("A conversation must alternate between user and assistant roles")
        for number, block in enumerate(message["content"]):
            where = f"messages.{index}.content.{number}"
            if "text" in block and not block["text"]:
                problems.append(f"The text field in the ContentBlock object at {where} is blank")
            if "image" in block:
                images += 1
                problems.extend(_image_problems(block["image"], message["role"], where))
    if images > MAX_IMAGES:
        problems.append(f"Too many images: {images} (at most {MAX_IMAGES})")
    return problems


def _image_problems(image: dict[str, Any], role: str, where: str) -> list[str]:
    if role != "user":
        return [f"{where}: Images are only supported in user messages"]
    encoded = image["source"].get("bytes")
    if not isinstance(encoded, str):
        return [f"{where}: The image source must hold the image bytes"]
    data = base64.b64decode(encoded)  # the shape check decoded it already
    if len(data) > MAX_IMAGE_BYTES:
        return [f"{where}: The image exceeds the maximum size of 3.75 MB"]
    if not data.startswith(IMAGE_SIGNATURES.get(image["format"], ())):
        return [f"{where}: The provided image does not match the format {image['format']}"]
    return []
