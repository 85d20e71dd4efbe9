"""URLs a target would fetch on the caller's behalf, refused where that fetch happens
inside the deployment's private network.

A self-hosted engine (vLLM, TGI, SGLang on the GPU fleet, Kubernetes, an edge site, Cloud
Run, Container Apps) fetches the ``image_url`` (and ``audio_url``, ``video_url``...) URLs of
a chat request itself, from where it runs: a caller who may only talk to the router would
make it read ``http://169.254.169.254/`` (instance credentials) or any internal service
(server-side request forgery). A provider's public API (OpenAI, Azure OpenAI, Anthropic)
fetches from the internet, outside the deployment.

The target's config says which it is (``TargetConfig.url_fetch``, rendered from the
target kind; unknown is ``private``). For a ``private`` target, every string inside a
non-text content part that reads as a URL with a scheme other than ``data:`` is refused
with a ``ContentError`` naming the part: not only ``image_url.url`` with http(s), because
engines take more media parts (vLLM: ``audio_url``, ``video_url``, a bare ``image_url``
string) and more schemes (``file:``), and a check that knows one shape misses the next.
Text is never looked at: a URL in a prompt is words, not a fetch.

Standard library only; the check costs one type test per message without list content.
"""

from __future__ import annotations

from .content import ContentError

__all__ = ["check_no_private_fetch"]

_TEXT_KEYS = frozenset({"text", "refusal"})
_TEXT_PARTS = frozenset({"text", "refusal", None})
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
_BLANK = "".join(chr(c) for c in range(33))  # what URL parsers strip before the scheme
_MAX_DEPTH = 8  # a part nested deeper than this is refused whole: no engine reads one
_ALLOWED = "text, and media parts with a base64 data: URL (data:<type>;base64,<data>)"


def check_no_private_fetch(body: dict[str, object]) -> None:
    """Raise ``ContentError`` for the first content part of ``body["messages"]`` that
    names a URL the target would fetch from inside the private network."""
    messages = body.get("messages")
    if type(messages) is not list:
        return
    for index, message in enumerate(messages):
        content = message.get("content") if type(message) is dict else None
        if type(content) is not list:
            continue  # a string (or nothing) is text
        for number, part in enumerate(content):
            where = f"messages[{index}].content[{number}]"
            if type(part) is dict:
                _check_part(part, where)
            elif type(part) is str and _is_url(part):
                _refuse(where, part)


def _check_part(part: dict[str, object], where: str) -> None:
    text_part = part.get("type") in _TEXT_PARTS
    for key, value in part.items():
        if text_part and key in _TEXT_KEYS:
            continue
        _check_value(value, f"{where}.{key}", 1)


def _check_value(value: object, where: str, depth: int) -> None:
    if type(value) is str:
        if _is_url(value):
            _refuse(where, value)
        return
    if not isinstance(value, (dict, list)):
        return
    if depth >= _MAX_DEPTH:
        raise ContentError(f"{where}: nested deeper than {_MAX_DEPTH} levels; allowed: {_ALLOWED}")
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        inner = f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]"
        _check_value(item, inner, depth + 1)


def _is_url(value: str) -> bool:
    """Whether ``value`` starts with a URL scheme other than ``data`` (leading spaces and
    control characters skipped, as URL parsers do)."""
    head = value.lstrip(_BLANK)[:40].lower()
    scheme, colon, _ = head.partition(":")
    return bool(
        colon
        and scheme
        and scheme != "data"
        and scheme[0].isalpha()
        and all(c in _SCHEME_CHARS for c in scheme)
    )


def _refuse(where: str, url: str) -> None:
    shown = url if len(url) <= 60 else url[:57] + "..."
    raise ContentError(
        f"{where}: {shown!r} is a URL this target would fetch from inside the deployment's "
        f"private network (a self-hosted server fetches media URLs itself); allowed: {_ALLOWED}"
    )
