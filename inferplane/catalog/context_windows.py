"""Context windows of managed models (tokens, prompt and answer together), offline.

The router skips a target whose window cannot take a request (``router.window``); the
window comes from the spec for self-hosted models (``serving.context_length``, the
engine's ``--max-model-len``) and from this dated table for models a cloud serves.
Rows are matched by model ID prefix (longest first) after a Bedrock cross-region
inference-profile prefix (``us.``, ``eu.``...) is removed. A model not in the table has
no known window, and the router never skips it for size.

Sources, read 2026-11-30: AWS Bedrock user guide, model cards and "Supported Region and
models for Provisioned Throughput" (the ``:300k``/``:200k`` context variants, as in
``bedrock_models.PT_VARIANTS``); Azure OpenAI "Models" (context window column); Vertex AI
"Gemini models" (input token limit). Providers raise windows over time: a stale row errs
towards skipping a target that could take a long prompt, so update the table with them.
"""

from __future__ import annotations

__all__ = ["AS_OF", "CONTEXT_WINDOWS", "managed_context_window"]

AS_OF = "2026-11-30"

CONTEXT_WINDOWS: dict[str, int] = {
    # Bedrock (model ID prefixes)
    "amazon.nova-micro": 128_000,
    "amazon.nova-lite": 300_000,
    "amazon.nova-pro": 300_000,
    "amazon.nova-premier": 1_000_000,
    "amazon.nova-2-lite": 256_000,
    "amazon.titan-text-express": 8_192,
    "amazon.titan-text-lite": 4_096,
    "amazon.titan-text-premier": 32_000,
    "anthropic.claude-3": 200_000,
    "anthropic.claude-sonnet-4": 200_000,
    "anthropic.claude-opus-4": 200_000,
    "anthropic.claude-haiku-4": 200_000,
    "meta.llama3-8b-instruct": 8_192,
    "meta.llama3-70b-instruct": 8_192,
    "meta.llama3-1": 128_000,
    "meta.llama3-2": 128_000,
    "meta.llama3-3": 128_000,
    "mistral.mistral-7b-instruct": 32_000,
    "mistral.mixtral-8x7b-instruct": 32_000,
    "mistral.mistral-large-2402": 32_000,
    "mistral.mistral-large-2407": 128_000,
    "cohere.command-r": 128_000,
    # Azure OpenAI (deployed model names)
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_047_576,
    "gpt-4-turbo": 128_000,
    "gpt-35-turbo": 16_385,
    "o1": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
    # Vertex AI Gemini (publisher models)
    "gemini-1.5-flash": 1_048_576,
    "gemini-1.5-pro": 2_097_152,
    "gemini-2.0-flash": 1_048_576,
    "gemini-2.5-flash": 1_048_576,
    "gemini-2.5-pro": 1_048_576,
}
"""Model ID prefix -> context window in tokens."""

_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.")
_BY_LENGTH = sorted(CONTEXT_WINDOWS, key=len, reverse=True)


def managed_context_window(model: str) -> int | None:
    """The window of ``model`` (a Bedrock model ID or inference profile, an Azure OpenAI
    model, a Vertex Gemini model, with or without ``publishers/google/models/``), or None."""
    name = model.rsplit("/", 1)[-1]
    for prefix in _PROFILE_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    for prefix in _BY_LENGTH:
        if name.startswith(prefix):
            return CONTEXT_WINDOWS[prefix]
    return None
