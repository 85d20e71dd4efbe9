"""Serving strategies rendered per engine, checked against a dated flag table and, for vLLM
and TGI, against option names parsed from the engines' own argument definitions.

Speculative decoding has its own table (test_speculative.py). The engines cannot run here
(vLLM and TGI need CUDA; llama.cpp is C++), so nothing below starts an engine: the tests
prove the rendered command uses options the pinned version defines, with the values the
table records, and that a value the version cannot honour is refused at spec time.

Table checked 2026-11-30 against:
- vLLM v0.11.0 (``vllm/vllm-openai:v0.11.0``): the PyPI wheel
  vllm-0.11.0-cp38-abi3-manylinux1_x86_64.whl (sha256 3861c75f...cd62, ``_version.py``
  commit gf71952c1c). ``vllm/engine/arg_utils.py``: ``--enable-prefix-caching`` (CacheConfig,
  bool -> BooleanOptionalAction, so also ``--no-enable-prefix-caching``),
  ``--enable-chunked-prefill``, ``--max-num-seqs``, ``--max-num-batched-tokens``,
  ``--quantization`` (choices: QuantizationMethods in
  ``vllm/model_executor/layers/quantization/__init__.py``). ``_set_default_args`` sets
  ``enable_chunked_prefill = True`` for every generative model, so chunked_prefill=false is
  refused. https://github.com/vllm-project/vllm/blob/v0.11.0/vllm/engine/arg_utils.py
- TGI 3.3.4 (``ghcr.io/huggingface/text-generation-inference:3.3.4``): git tag v3.3.4,
  commit d4bd5cac7978e5713e123c3f7e4a46687582c913. ``launcher/src/main.rs``: clap
  ``--quantize`` (value enum Quantization), ``--max-concurrent-requests``,
  ``--max-batch-prefill-tokens``; ``resolve_attention`` honours env ``PREFIX_CACHING``;
  ``server/text_generation_server/models/globals.py`` reads ``PREFILL_CHUNKING`` (default 1)
  and ``models/model.py:73`` applies it.
  https://github.com/huggingface/text-generation-inference/blob/v3.3.4/launcher/src/main.rs
- llama.cpp ``llama-server`` build b6800 (``ghcr.io/ggml-org/llama.cpp:server-b6800``):
  ``-np, --parallel N``, ``-b, --batch-size N``, ``-c, --ctx-size N`` (tools/server/README.md,
  common/arg.cpp). Not fetched at b6800 (the repository snapshot exceeds what can be
  brought here), so this row is the table only; no prompt-cache or chunking switch is
  rendered, explicit values are refused.
  https://github.com/ggml-org/llama.cpp/blob/b6800/tools/server/README.md
- Ollama 0.12.6: ``OLLAMA_NUM_PARALLEL``, ``OLLAMA_CONTEXT_LENGTH`` (envconfig/config.go);
  quantization by model tag suffix. No prefix-caching or chunked-prefill switch.
  https://github.com/ollama/ollama/blob/v0.12.6/envconfig/config.go
- Triton 25.09: all of it lives in the model repository (config.pbtxt / model.json);
  the renderer sets none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from inferplane.serving import render
from inferplane.serving.base import EngineCommand
from inferplane.spec.serving import Serving

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "engine-flags"
ENGINES = ("vllm", "tgi", "llamacpp", "ollama", "triton")
MODEL = "meta-llama/Llama-3.1-8B-Instruct"
# A checkpoint quantized with the method under test: the flag only makes sense on one.
CHECKPOINT = {
    "none": MODEL,
    "fp8": "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8",
    "int8": MODEL,  # bitsandbytes quantizes the bf16 weights on load
    "awq": "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4",
    "gptq": "hugging-quants/Meta-Llama-3.1-8B-Instruct-GPTQ-INT4",
    "q4_k_m": "llama3.1:8b-instruct",
    "q8_0": "llama3.1:8b-instruct",
}
BASE_QUANT = {
    "vllm": "none",
    "tgi": "none",
    "llamacpp": "q4_k_m",
    "ollama": "q4_k_m",
    "triton": "none",
}

Rendered = tuple[list[str], dict[str, str]]  # (argument tail, environment subset)
REFUSED = None

# engine -> prefix_caching value -> (flags, env) it renders, or REFUSED
PREFIX_CACHING: dict[str, dict[bool, Rendered | None]] = {
    "vllm": {
        True: (["--enable-prefix-caching"], {}),
        False: (["--no-enable-prefix-caching"], {}),
    },
    "tgi": {True: ([], {"PREFIX_CACHING": "1"}), False: ([], {"PREFIX_CACHING": "0"})},
    "llamacpp": {True: REFUSED, False: REFUSED},
    "ollama": {True: REFUSED, False: REFUSED},
    "triton": {True: REFUSED, False: REFUSED},
}
CHUNKED_PREFILL: dict[str, dict[bool, Rendered | None]] = {
    "vllm": {True: (["--enable-chunked-prefill"], {}), False: REFUSED},
    "tgi": {True: ([], {"PREFILL_CHUNKING": "1"}), False: ([], {"PREFILL_CHUNKING": "0"})},
    "llamacpp": {True: REFUSED, False: REFUSED},
    "ollama": {True: REFUSED, False: REFUSED},
    "triton": {True: REFUSED, False: REFUSED},
}
# engine -> spec quantization -> rendered, or REFUSED (not among the engine's choices)
QUANTIZATION: dict[str, dict[str, Rendered | None]] = {
    "vllm": {
        "fp8": (["--quantization", "fp8"], {}),
        "int8": (["--quantization", "bitsandbytes"], {}),
        "awq": (["--quantization", "awq"], {}),
        "gptq": (["--quantization", "gptq"], {}),
        "q4_k_m": REFUSED,
    },
    "tgi": {
        "fp8": (["--quantize", "fp8"], {}),
        "int8": (["--quantize", "bitsandbytes"], {}),
        "awq": (["--quantize", "awq"], {}),
        "gptq": (["--quantize", "gptq"], {}),
        "q4_k_m": REFUSED,
    },
    "llamacpp": {
        "q4_k_m": (["--model", f"/models/{CHECKPOINT['q4_k_m']}.q4_k_m.gguf"], {}),
        "q8_0": (["--model", f"/models/{CHECKPOINT['q8_0']}.q8_0.gguf"], {}),
        "awq": REFUSED,
    },
    "ollama": {
        "q4_k_m": ([], {"OLLAMA_MODEL": "llama3.1:8b-instruct-q4_K_M"}),
        "q8_0": ([], {"OLLAMA_MODEL": "llama3.1:8b-instruct-q8_0"}),
        "fp8": REFUSED,
    },
    "triton": {"awq": REFUSED, "fp8": REFUSED},
}
# engine -> (max_seqs=64 rendered or REFUSED, max_batched_tokens=8192 rendered or REFUSED)
MAX_BATCH: dict[str, tuple[Rendered | None, Rendered | None]] = {
    "vllm": ((["--max-num-seqs", "64"], {}), (["--max-num-batched-tokens", "8192"], {})),
    "tgi": (
        (["--max-concurrent-requests", "64"], {}),
        (["--max-batch-prefill-tokens", "8192"], {}),
    ),
    "llamacpp": ((["--parallel", "64"], {}), (["--batch-size", "8192"], {})),
    "ollama": (([], {"OLLAMA_NUM_PARALLEL": "64"}), REFUSED),
    "triton": (REFUSED, REFUSED),
}


def spec(engine: str, **options: Any) -> Serving:
    return Serving(engine=engine, **{"quantization": BASE_QUANT[engine], **options})


def assert_renders(command: EngineCommand, expected: Rendered) -> None:
    """``expected`` flags appear in order as one run of the arguments; its env is a subset."""
    flags, env = expected
    args = list(command.args)
    if flags:
        assert flags[0] in args, args
        start = args.index(flags[0])
        assert args[start : start + len(flags)] == flags
    assert {k: command.env.get(k) for k in env} == env


def check(engine: str, expected: Rendered | None, key: str, **options: Any) -> None:
    model = options.pop("model", MODEL)
    if expected is REFUSED:
        with pytest.raises(ValidationError, match=rf"engine '{engine}' does not support .*{key}"):
            spec(engine, **options)
        return
    assert_renders(render(model, spec(engine, **options)), expected)


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("engine", ENGINES)
def test_prefix_caching_renders_the_documented_switch(engine: str, value: bool) -> None:
    check(engine, PREFIX_CACHING[engine][value], "prefix_caching", prefix_caching=value)


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("engine", ENGINES)
def test_chunked_prefill_renders_the_documented_switch(engine: str, value: bool) -> None:
    check(engine, CHUNKED_PREFILL[engine][value], "chunked_prefill", chunked_prefill=value)


@pytest.mark.parametrize(
    ("engine", "quantization"), [(e, q) for e, row in QUANTIZATION.items() for q in row]
)
def test_quantization_renders_on_a_matching_checkpoint(engine: str, quantization: str) -> None:
    check(
        engine,
        QUANTIZATION[engine][quantization],
        "quantization",
        quantization=quantization,
        model=CHECKPOINT[quantization],
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_max_batch_renders_the_documented_flags(engine: str) -> None:
    seqs, tokens = MAX_BATCH[engine]
    check(engine, seqs, r"batching\.max_seqs", batching={"max_seqs": 64})
    check(engine, tokens, r"batching\.max_batched_tokens", batching={"max_batched_tokens": 8192})


@pytest.mark.parametrize("engine", ENGINES)
def test_unset_strategies_render_no_switch(engine: str) -> None:
    """None keeps the engine's default: no flag and no environment variable."""
    command = render(MODEL, spec(engine))
    switches = {
        "--enable-prefix-caching",
        "--no-enable-prefix-caching",
        "--enable-chunked-prefill",
        "--no-enable-chunked-prefill",
    }
    assert switches.isdisjoint(command.args)
    assert {"PREFIX_CACHING", "PREFILL_CHUNKING"}.isdisjoint(command.env)


def test_refusal_names_the_key_the_engine_and_what_is_allowed() -> None:
    with pytest.raises(ValidationError) as raised:
        spec("vllm", chunked_prefill=False)
    message = str(raised.value)
    assert "engine 'vllm' does not support chunked_prefill=false" in message
    assert "allowed: unset, true" in message
    with pytest.raises(ValidationError) as raised:
        spec("ollama", prefix_caching=True)
    assert "prefix_caching=true (allowed: unset;" in str(raised.value)


def test_tgi_refuses_chunked_prefill_while_speculating() -> None:
    with pytest.raises(ValidationError, match=r"chunked_prefill=true with speculative"):
        spec("tgi", chunked_prefill=True, speculative={"num_tokens": 4})
    # vLLM v0.11 chunks and speculates together: accepted.
    args = render(MODEL, spec("vllm", chunked_prefill=True, speculative={"num_tokens": 4})).args
    assert "--enable-chunked-prefill" in args


# --- the oracle: option names parsed from the engines' own argument definitions ---------


def oracle(engine: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{engine}.json").read_text())
    return loaded


def every_strategy(engine: str) -> list[tuple[str, Serving]]:
    """Each accepted table row (speculative n-gram included) as a spec to render."""
    cases: list[tuple[str, Serving]] = [("defaults", spec(engine))]
    for key, table in (("prefix_caching", PREFIX_CACHING), ("chunked_prefill", CHUNKED_PREFILL)):
        for value, expected in table[engine].items():
            if expected is not REFUSED:
                cases.append((f"{key}={value}", spec(engine, **{key: value})))
    for quantization, expected in QUANTIZATION[engine].items():
        if expected is not REFUSED:
            cases.append((quantization, spec(engine, quantization=quantization)))
    cases.append(
        (
            "all",
            spec(
                engine,
                context_length=8192,
                batching={"max_seqs": 64, "max_batched_tokens": 8192},
                speculative={"num_tokens": 4},
            ),
        )
    )
    return cases


@pytest.mark.parametrize("engine", ["vllm", "tgi"])
def test_every_rendered_option_exists_in_the_engines_argument_definitions(engine: str) -> None:
    known = oracle(engine)
    options = set(known["options"])
    env_names = set(known["env"])
    choices: dict[str, list[str]] = known["choices"]
    for label, serving in every_strategy(engine):
        command = render(CHECKPOINT.get(serving.quantization, MODEL), serving)
        args = list(command.args)
        flags = [a for a in args if a.startswith("--")]
        assert set(flags) <= options, (label, sorted(set(flags) - options))
        for flag, allowed in choices.items():
            if flag in args:
                assert args[args.index(flag) + 1] in allowed, (label, flag)
        assert set(command.env) <= env_names, (label, sorted(set(command.env) - env_names))


def test_the_fixtures_record_their_source() -> None:
    vllm, tgi = oracle("vllm"), oracle("tgi")
    assert "vllm-0.11.0" in vllm["source"]
    assert "gf71952c1c" in vllm["source"]
    assert "v3.3.4" in tgi["source"]
    assert "d4bd5cac7978e5713e123c3f7e4a46687582c913" in tgi["source"]
    # The fixtures are real parses, not hand lists: they hold options no renderer emits.
    assert {"--enable-prefix-caching", "--no-enable-prefix-caching"} <= set(vllm["options"])
    assert {"--max-batch-size", "--max-batch-total-tokens"} <= set(tgi["options"])
    assert {"PREFIX_CACHING", "PREFILL_CHUNKING"} <= set(tgi["env"])


# --- the seam: the rendered switches reach the server a stack deploys ------------------


def deployed_container(engine: str, serving: Serving) -> dict[str, Any]:
    """The model-server container of the real Kubernetes manifest renderer."""
    from components.kubernetes.manifests import ModelServerConfig, model_server_manifests

    command = render(MODEL, serving)
    digest = "sha256:" + "ab" * 32
    config = ModelServerConfig(
        name="llama",
        namespace="inference",
        model=MODEL,
        engine=engine,
        command=EngineCommand(
            f"{command.image}@{digest}",
            command.args,
            command.env,
            command.port,
            command.health_path,
        ),
        weights_gib=16.0,
    )
    (deployment,) = [m for m in model_server_manifests(config) if m["kind"] == "Deployment"]
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def test_tgi_switches_reach_the_deployed_container_environment() -> None:
    container = deployed_container("tgi", spec("tgi", prefix_caching=False, chunked_prefill=True))
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    assert env["PREFIX_CACHING"] == "0"
    assert env["PREFILL_CHUNKING"] == "1"


def test_vllm_switches_reach_the_deployed_container_arguments() -> None:
    container = deployed_container("vllm", spec("vllm", prefix_caching=False, chunked_prefill=True))
    arguments = [*container.get("command", []), *container.get("args", [])]
    assert "--no-enable-prefix-caching" in arguments
    assert "--enable-chunked-prefill" in arguments
