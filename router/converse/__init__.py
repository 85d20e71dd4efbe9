"""OpenAI chat <-> Amazon Bedrock Converse: the one translator.

Used by the router's ``bedrock`` backend and by the ``lambda`` target's handler
(``components/aws/converse_handler.py``), which ships this package in its zip beside
``router/__init__.py``, ``router/turns.py``, ``router/content.py``, ``router/tools.py``
and ``router/openai_shapes.py``. Everything here is standard library only and imports
nothing else from the router, so the zip holds exactly what the handler runs.

- ``request``: an OpenAI chat body (text, images, tools) as ``converse``/``converse_stream``
  keyword arguments.
- ``tools``: function calling as ``toolConfig`` and ``toolUse`` / ``toolResult`` blocks.
- ``response``: a Converse answer as an OpenAI ``chat.completion``.
- ``stream``: ConverseStream events as OpenAI chunk deltas, with usage.
- ``errors``: AWS runtime error codes as the HTTP status an OpenAI client should see.
"""

from __future__ import annotations

from .errors import STATUS_BY_CODE, status_for
from .request import (
    IMAGE_FORMATS,
    TEMPERATURE_RANGE,
    TranslationError,
    inference_config,
    to_converse,
)
from .response import FINISH_REASONS, finish_reason, to_completion, usage_of
from .stream import StreamStep, StreamTranslation

__all__ = [
    "FINISH_REASONS",
    "IMAGE_FORMATS",
    "STATUS_BY_CODE",
    "TEMPERATURE_RANGE",
    "StreamStep",
    "StreamTranslation",
    "TranslationError",
    "finish_reason",
    "inference_config",
    "status_for",
    "to_completion",
    "to_converse",
    "usage_of",
]
