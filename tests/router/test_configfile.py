"""Config files people write: YAML or JSON, errors with key paths; --target overrides."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from inferplane.router.configfile import parse_config, point_targets
from inferplane.router.errors import ConfigError
from tests.router import configs
from tests.router.configs import target

ROOT = Path(__file__).resolve().parents[2]


def _config_dict() -> dict[str, Any]:
    cfg = configs.config(
        {
            "edge": target("http://10.0.0.1:8000", ("public",)),
            "cloud": target(
                "https://bedrock.example",
                ("public",),
                auth={"scheme": "sigv4", "service": "bedrock"},
            ),
        },
        [{"name": "default", "targets": ["edge", "cloud"]}],
    )
    document: dict[str, Any] = orjson.loads(cfg.to_json())
    return document


def test_yaml_and_json_give_the_same_config() -> None:
    document = _config_dict()
    assert parse_config(yaml.safe_dump(document)) == parse_config(orjson.dumps(document).decode())


def test_errors_name_the_key_path_not_a_pydantic_dump() -> None:
    document = _config_dict()
    document["targets"]["edge"]["timeouts"] = {"connect": "soon"}
    document["routes"][0]["colour"] = "red"
    with pytest.raises(ConfigError) as bad:
        parse_config(yaml.safe_dump(document), "router.yaml")
    assert bad.value.message.splitlines() == [
        "router.yaml is invalid:",
        "  targets.edge.timeouts.connect: Input should be a valid number, unable to parse "
        "string as a number (got 'soon')",
        "  routes[0].colour: unknown key (got 'red')",
    ]
    assert "pydantic" not in bad.value.message
    with pytest.raises(ConfigError, match=r"neither JSON nor YAML \(line 2, column 4\)"):
        parse_config("stack: [a\n  b: c")


def test_target_override_changes_only_that_targets_url_and_auth() -> None:
    config = parse_config(orjson.dumps(_config_dict()).decode())
    pointed, warnings = point_targets(config, ["cloud=http://127.0.0.1:9000/v1"])
    assert pointed.targets["cloud"].url == "http://127.0.0.1:9000/v1"
    assert pointed.targets["cloud"].auth.scheme == "none"
    assert pointed.targets["cloud"].model_dump(exclude={"url", "auth"}) == config.targets[
        "cloud"
    ].model_dump(exclude={"url", "auth"})
    assert pointed.targets["edge"] == config.targets["edge"]
    assert pointed.routes == config.routes
    assert warnings == [
        "warning: target cloud now calls http://127.0.0.1:9000/v1 with auth none "
        "(was https://bedrock.example/v1 with auth sigv4)"
    ]
    with pytest.raises(ConfigError, match="no such target; targets: cloud, edge"):
        point_targets(config, ["nope=http://x"])
    with pytest.raises(ConfigError, match="expected NAME=URL"):
        point_targets(config, ["cloud"])
    with pytest.raises(ConfigError, match="url must be http"):
        point_targets(config, ["cloud=file:///etc/passwd"])


def test_cli_prints_the_key_path_without_traceback(tmp_path: Path) -> None:
    document = _config_dict()
    document["default_data_class"] = 3
    path = tmp_path / "router.yaml"
    path.write_text(yaml.safe_dump(document))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from inferplane.cli import main; main()",
            "router",
            "serve",
            "--config",
            str(path),
            "--target",
            "edge=http://127.0.0.1:1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "default_data_class: Input should be a valid string (got 3)" in result.stderr
    assert "Traceback" not in result.stderr
