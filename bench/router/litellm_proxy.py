"""The LiteLLM proxy the router is compared with: installed on first use into its own
venv under .bench/ (gitignored), configured for the mock upstream."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.router.processes import ROOT

LITELLM_VENV = ROOT / ".bench" / "litellm-venv"
LITELLM = LITELLM_VENV / "bin" / "litellm"
# 1.110.x's proxy extra needs a separate litellm-proxy package the index does not carry;
# 1.106.12 is the newest whose proxy extra installs here. (1.107.0 was a compromised
# release and is gone from the index.)
LITELLM_REQUIREMENT = "litellm[proxy]==1.106.12"


def ensure_litellm() -> bool:
    """Install LiteLLM into its own venv under .bench/ (gitignored) if it is not there."""
    if LITELLM.exists():
        return True
    print(f"installing {LITELLM_REQUIREMENT} into {LITELLM_VENV} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        pip = [str(LITELLM_VENV / "bin" / "pip"), "install", "-q", LITELLM_REQUIREMENT]
        subprocess.run(pip, check=True, timeout=1800)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"LiteLLM could not be installed: {exc}", file=sys.stderr)
        return False
    return LITELLM.exists()


def litellm_config(directory: Path, upstream_port: int) -> Path:
    path = directory / "litellm.yaml"
    path.write_text(
        "model_list:\n"
        "  - model_name: default\n"
        "    litellm_params:\n"
        "      model: openai/m\n"
        f"      api_base: http://127.0.0.1:{upstream_port}/v1\n"
        "      api_key: sk-upstream\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )
    return path
