"""Speculative decoding rendered per engine, checked against a dated flag table.

The engines' packages cannot be installed here (vLLM and TGI need CUDA wheels of several
GB; llama.cpp is C++), so the table below is the oracle: each row's flags as the engine
documents them for the version the default image pins. Checked 2026-11-30.

Sources:
- vLLM v0.11.0 (``vllm/vllm-openai:v0.11.0``): ``--speculative-config`` takes JSON;
  n-gram: ``{"method": "ngram", "num_speculative_tokens": N, "prompt_lookup_max": M}``
  (docs.vllm.ai/en/v0.11.0/features/spec_decode.html "Speculating by matching n-grams in
  the prompt"). A draft model raises ``NotImplementedError: Speculative decoding with
  draft model is not supported yet`` in the V1 engine from v0.10.0 (vllm#21797, vllm#22047
  added the docs warning) through v0.13.0 (vllm#31883); support came with vllm#24322.
- TGI 3.x launcher: ``--speculate N`` "the number of input_ids to speculate on. If using a
  medusa model, the heads will be picked up automatically. Else, it will use n-gram
  speculation" (huggingface.co/docs/text-generation-inference/reference/launcher). No
  separate draft model.
- llama.cpp ``llama-server`` (b6800): ``-md, --model-draft FNAME`` and ``--draft-max,
  --draft, --draft-n N`` (tools/server/README.md; common/arg.cpp). No n-gram mode in the
  server at that build.
- Ollama and Triton (this renderer): no speculative decoding options.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from inferplane.serving import render
from inferplane.spec.serving import Serving

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
DRAFT = "meta-llama/Llama-3.2-1B-Instruct"

# engine -> (n-gram flags or None if unsupported, draft flags or None if unsupported)
FLAG_TABLE: dict[str, tuple[list[str] | None, list[str] | None]] = {
    "vllm": (
        [
            "--speculative-config",
            json.dumps(
                {"method": "ngram", "num_speculative_tokens": 5, "prompt_lookup_max": 4},
                sort_keys=True,
                separators=(",", ":"),
            ),
        ],
        None,
    ),
    "tgi": (["--speculate", "5"], None),
    "llamacpp": (
        None,
        ["--model-draft", f"/models/{DRAFT}.q4_k_m.gguf", "--draft-max", "5"],
    ),
    "ollama": (None, None),
    "triton": (None, None),
}
QUANT = {"vllm": "none", "tgi": "none", "llamacpp": "q4_k_m", "ollama": "q4_k_m", "triton": "none"}


def serving(engine: str, **speculative: Any) -> Serving:
    # Validated from plain data, as a spec file reaches it.
    return Serving.model_validate(
        {
            "engine": engine,
            "quantization": QUANT[engine],
            "speculative": {"num_tokens": 5, **speculative},
        }
    )


def tail(engine: str, flags: list[str], spec: Serving) -> list[str]:
    """The rendered arguments from the first speculative flag on."""
    args = list(render(MODEL, spec).args)
    start = args.index(flags[0])
    return args[start : start + len(flags)]


@pytest.mark.parametrize("engine", sorted(FLAG_TABLE))
def test_ngram_speculation_renders_the_documented_flags(engine: str) -> None:
    flags, _ = FLAG_TABLE[engine]
    if flags is None:
        with pytest.raises(ValidationError, match="speculative decoding without a draft_model"):
            serving(engine)
        return
    assert tail(engine, flags, serving(engine)) == flags


@pytest.mark.parametrize("engine", sorted(FLAG_TABLE))
def test_draft_model_speculation_renders_the_documented_flags(engine: str) -> None:
    _, flags = FLAG_TABLE[engine]
    if flags is None:
        with pytest.raises(ValidationError, match=r"speculative\.draft_model"):
            serving(engine, draft_model=DRAFT)
        return
    assert tail(engine, flags, serving(engine, draft_model=DRAFT)) == flags


@pytest.mark.parametrize("engine", sorted(FLAG_TABLE))
def test_no_speculative_flag_without_speculation(engine: str) -> None:
    spec = Serving.model_validate({"engine": engine, "quantization": QUANT[engine]})
    args = set(render(MODEL, spec).args)
    assert args.isdisjoint({"--speculative-config", "--speculate", "--model-draft", "--draft-max"})
