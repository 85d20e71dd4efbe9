"""What Bedrock refuses in a Converse / ConverseStream request that botocore's
bedrock-runtime model lets through: the service's own ``ValidationException`` rules.

The conversation starts with a user turn and alternates, a text block is not blank, an
image sits in a user turn, its bytes are an image of the format the block declares, at most
3.75 MB each and at most 20 per request (Bedrock user guide: ``ImageBlock``, Converse API
limits). Tools (Converse API reference, "Use a tool to complete an Amazon Bedrock model
response"): ``toolUse`` / ``toolResult`` blocks need a ``toolConfig``; each assistant turn's
``toolUse`` ids are answered by ``toolResult`` blocks of exactly those ids in the next user
turn, and a ``toolResult`` answers a ``toolUse`` of the turn before it; tool names are
unique and a ``toolChoice.tool`` names one of them. ``service_model.validate_request``
applies them after the shape check, so every fake Bedrock (the smoke's, the tests' boto3
double) refuses the same requests with the same words; they read the body as it is on the
wire (a blob is base64 text) and assume it already fits the model's shape."""

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
    return problems + _tool_problems(body)


def _tool_problems(body: dict[str, Any]) -> list[str]:
    """The pairing of ``toolUse`` and ``toolResult`` blocks, and ``toolConfig``."""
    problems: list[str] = []
    config = body.get("toolConfig")
    names = [t["toolSpec"]["name"] for t in (config or {}).get("tools", []) if "toolSpec" in t]
    if len(set(names)) != len(names):
        problems.append("The toolConfig.tools names must be unique")
    chosen = (config or {}).get("toolChoice", {}).get("tool")
    if chosen is not None and chosen["name"] not in names:
        problems.append(f"The tool {chosen['name']} in toolChoice is not in toolConfig.tools")
    asked: list[str] = []  # the previous assistant turn's toolUse ids
    uses = False
    for index, message in enumerate(body["messages"]):
        blocks = message["content"]
        used = [b["toolUse"]["toolUseId"] for b in blocks if "toolUse" in b]
        answered = [b["toolResult"]["toolUseId"] for b in blocks if "toolResult" in b]
        uses = uses or bool(used or answered)
        where = f"messages.{index}.content"
        if len(answered) > len(asked):
            problems.append(
                f"The number of toolResult blocks at {where} exceeds the number of toolUse "
                "blocks of previous turn."
            )
        elif sorted(answered) != sorted(asked):
            missing = ", ".join(i for i in asked if i not in answered)
            problems.append(
                f"Expected toolResult blocks at {where} for the following Ids: {missing}"
            )
        asked = used
    if uses and config is None:
        problems.append(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        )
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
