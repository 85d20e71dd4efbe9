"""What every engine provides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inferplane.catalog.engine import EngineCommand

if TYPE_CHECKING:
    from inferplane.spec.serving import Serving

__all__ = [
    "HF_QUANTIZATION_FLAG",
    "EngineCommand",
    "ServerFlags",
    "ServingEngine",
    "Toggle",
]

HF_QUANTIZATION_FLAG = {"fp8": "fp8", "int8": "bitsandbytes", "awq": "awq", "gptq": "gptq"}
"""The quantization flag value vLLM and TGI both take for each spec quantization."""


@dataclass(frozen=True)
class ServerFlags:
    """An engine server's flag names for what every engine's command says: the model,
    where to listen, the context length and the batching limits."""

    model: str
    host: str
    context_length: str
    max_seqs: str
    max_batched_tokens: str
    quantization: str | None = None
    """The flag taking ``HF_QUANTIZATION_FLAG``'s value; None: the model file carries it."""


@dataclass(frozen=True)
class Toggle:
    """An on/off serving strategy (prefix caching, chunked prefill) for one engine."""

    settable: frozenset[bool] = frozenset()
    """The explicit values the engine's pinned version can be told; others are refused."""
    default: str = ""
    """What the engine does when the spec leaves the key unset, and why values are refused."""

    def refusal(self, key: str, value: bool | None) -> str | None:
        """Why ``key: value`` cannot be rendered, or None when it can."""
        if value is None or value in self.settable:
            return None
        allowed = ", ".join(["unset", *(str(v).lower() for v in sorted(self.settable))])
        return f"{key}={str(value).lower()} (allowed: {allowed}; {self.default})"


@dataclass(frozen=True)
class ServingEngine:
    """One engine: what it supports and how to render its command."""

    name: str
    default_image: str
    default_port: int
    health_path: str
    quantizations: frozenset[str]
    speculative_draft: bool
    speculative_ngram: bool = False
    batching: frozenset[str] = frozenset()
    context_length: bool = True
    prefix_caching: Toggle = Toggle()
    chunked_prefill: Toggle = Toggle()
    chunks_while_speculating: bool = True
    """False: the engine turns chunked prefill off when speculating (TGI)."""
    flags: ServerFlags | None = None
    """Its server's flag names for the arguments every engine takes (``server_args``)."""

    def port(self, serving: Serving) -> int:
        return serving.port or self.default_port

    def launch(
        self, serving: Serving, args: Sequence[str], env: dict[str, str] | None = None
    ) -> EngineCommand:
        """The command that starts this engine's server with ``args`` and ``env``."""
        return EngineCommand(
            serving.image or self.default_image,
            tuple(args),
            env or {},
            self.port(serving),
            self.health_path,
        )

    def server_args(self, model: str, serving: Serving) -> list[str]:
        """The arguments every engine server takes, in this engine's flag names; each
        engine adds what is its own after them."""
        flags = self.flags
        if flags is None:
            raise TypeError(f"engine {self.name!r} names no server flags")
        args = [flags.model, model, flags.host, "0.0.0.0", "--port", str(self.port(serving))]
        if flags.quantization is not None and serving.quantization != "none":
            args += [flags.quantization, HF_QUANTIZATION_FLAG[serving.quantization]]
        if serving.context_length:
            args += [flags.context_length, str(serving.context_length)]
        if serving.batching.max_seqs:
            args += [flags.max_seqs, str(serving.batching.max_seqs)]
        if serving.batching.max_batched_tokens:
            args += [flags.max_batched_tokens, str(serving.batching.max_batched_tokens)]
        return args

    def unsupported(self, serving: Serving) -> list[str]:
        """Names of the options in ``serving`` this engine cannot honour."""
        missing: list[str] = []
        if serving.quantization not in self.quantizations:
            allowed = ", ".join(sorted(self.quantizations))
            missing.append(f"quantization {serving.quantization!r} (allowed: {allowed})")
        spec = serving.speculative
        if spec is not None:
            if spec.draft_model and not self.speculative_draft:
                missing.append("speculative.draft_model")
            if not spec.draft_model and not self.speculative_ngram:
                missing.append("speculative decoding without a draft_model")
        for key in ("max_seqs", "max_batched_tokens"):
            if getattr(serving.batching, key) is not None and key not in self.batching:
                missing.append(f"batching.{key}")
        if serving.context_length is not None and not self.context_length:
            missing.append("context_length")
        for key in ("prefix_caching", "chunked_prefill"):
            toggle: Toggle = getattr(self, key)
            refused = toggle.refusal(key, getattr(serving, key))
            if refused:
                missing.append(refused)
        if serving.chunked_prefill and spec is not None and not self.chunks_while_speculating:
            missing.append("chunked_prefill=true with speculative (the engine turns it off)")
        return missing
