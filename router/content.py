"""A chat message's content as the turn-based backends render it: text and images.

OpenAI's chat content is a string or a list of parts. The backends that translate it
(Converse, Anthropic Messages, Gemini) read it here, so all of them take the same parts and
refuse the same way: a ``text`` (or assistant ``refusal``) part is text, an ``image_url``
part an image, anything else (``input_audio``, ``file``, ...) a ``ContentError`` naming the
part. Nothing is dropped silently: a request that loses its image would be answered as if
the image had never been sent.

An image is either inline (``data:image/png;base64,...``: its media type and base64 data,
checked here once) or a URL the backend's provider fetches (``http``/``https`` only). Other
schemes are refused for every backend: ``gs://`` and ``s3://`` would be read with the
deployment's identity, not the caller's, and ``file:`` names the serving host's disk.
Which forms and media types a backend takes is the backend's to decide (``refusal``).

Standard library only: the Lambda Converse handler ships this module in its zip.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

__all__ = [
    "ContentError",
    "ImageUrl",
    "InlineImage",
    "Segment",
    "media_types",
    "refusal",
    "segments",
]


class ContentError(ValueError):
    """A part the router cannot send; the message names the part and what is allowed."""


@dataclass(frozen=True, slots=True)
class InlineImage:
    """An image sent inside the request (a base64 ``data:`` URL)."""

    where: str
    """The part it came from, e.g. ``messages[2].content[1]``: refusals name it."""
    media_type: str
    """Lower-cased, e.g. ``image/png`` (``image/jpg`` is read as ``image/jpeg``)."""
    data: str
    """The base64 text as sent (checked: it decodes)."""

    def decoded(self) -> bytes:
        return binascii.a2b_base64(self.data, strict_mode=True)


@dataclass(frozen=True, slots=True)
class ImageUrl:
    """An image the backend's provider fetches itself (an ``http(s)`` URL)."""

    where: str
    url: str


Segment = str | InlineImage | ImageUrl
"""One piece of a message: text (consecutive text parts joined by a newline) or an image."""

_ALIASES = {"image/jpg": "image/jpeg"}
_ALLOWED_PARTS = "text, image_url"


def segments(content: object, index: int) -> list[Segment]:
    """Message ``index``'s ``content`` as segments in order. Empty text is left out; a
    message with nothing left is ``[""]`` (each renderer decides how to say "nothing")."""
    if content is None or isinstance(content, str):
        return [content or ""]
    if not isinstance(content, list):
        raise ContentError(f"messages[{index}].content: must be a string or a list of parts")
    out: list[Segment] = []
    for number, part in enumerate(content):
        where = f"messages[{index}].content[{number}]"
        piece = _segment(part, where)
        if piece == "":
            continue
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] = f"{out[-1]}\n{piece}"
        else:
            out.append(piece)
    return out or [""]


def media_types(*names: str) -> frozenset[str]:
    """``image/<name>`` for each name: a backend's accepted inline types."""
    return frozenset(f"image/{name}" for name in names)


def refusal(image: InlineImage | ImageUrl, api: str, accepted: frozenset[str], urls: bool) -> str:
    """Why ``api`` cannot take ``image``, with what it does take."""
    types = ", ".join(sorted(accepted))
    allowed = f"text, and image_url parts with a base64 data: URL of {types}"
    if urls:
        allowed += " or an http(s) URL"
    if isinstance(image, ImageUrl):
        sent = "an image URL"
    else:
        sent = f"an inline image of type {image.media_type!r}"
    return f"{image.where}: {api} cannot take {sent}; allowed: {allowed}"


def _segment(part: object, where: str) -> Segment:
    if not isinstance(part, dict):
        raise ContentError(f"{where}: must be an object, got {type(part).__name__}")
    kind = part.get("type")
    if kind in ("text", None) and isinstance(part.get("text"), str):
        text: str = part["text"]
        return text
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        refused: str = part["refusal"]
        return refused
    if kind == "image_url":
        return _image(part.get("image_url"), where)
    if kind in ("text", "refusal"):
        raise ContentError(f"{where}.{kind}: must be a string")
    named = f"a {kind!r} part" if kind is not None else "a part without a type"
    raise ContentError(f"{where}: {named} cannot be sent to this target; allowed: {_ALLOWED_PARTS}")


def _image(found: object, where: str) -> Segment:
    url = found.get("url") if isinstance(found, dict) else None
    if not isinstance(url, str):
        raise ContentError(f"{where}.image_url: must be an object with a url string")
    scheme = url.partition(":")[0].lower()
    if scheme in ("http", "https") and url[len(scheme) : len(scheme) + 3] == "://":
        return ImageUrl(where, url)
    if scheme == "data":
        return _inline(url, where)
    shown = url if len(url) <= 60 else url[:57] + "..."
    raise ContentError(
        f"{where}.image_url.url: {shown!r} is neither a data: URL nor an http(s) URL "
        "(other schemes would be read with the deployment's identity, not the caller's)"
    )


def _inline(url: str, where: str) -> InlineImage:
    header, comma, data = url[5:].partition(",")
    params = [p.strip().lower() for p in header.split(";")]
    media_type = _ALIASES.get(params[0], params[0])
    if not comma or not media_type.startswith("image/") or params[-1] != "base64":
        raise ContentError(
            f"{where}.image_url.url: a data: URL must read data:image/<type>;base64,<data>, "
            f"got {url[:40]!r}..."
        )
    try:
        binascii.a2b_base64(data, strict_mode=True)
    except ValueError as exc:  # binascii.Error, or a character outside ASCII
        raise ContentError(
            f"{where}.image_url.url: the base64 data does not decode: {exc}"
        ) from exc
    if not data:
        raise ContentError(f"{where}.image_url.url: the data: URL holds no image")
    return InlineImage(where, media_type, data)
