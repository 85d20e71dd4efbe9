"""The one OpenAI function tool the tool-calling tests declare, with its JSON schema."""

from __future__ import annotations

from typing import Any

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city"],
    "additionalProperties": False,
}
FORECAST: Any = {
    "type": "function",
    "function": {"name": "forecast", "description": "weather ahead", "parameters": SCHEMA},
}
