from __future__ import annotations

import json
from pathlib import Path

import pytest

from inferplane.errors import ConfigFileError
from inferplane.verify import load_outputs


def test_reads_pulumi_stack_output_json(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    outputs = {
        "environment": "prod",
        "targets": {"sm": {"backend": "sagemaker", "endpoint_name": "ep"}},
        "router_url": "https://abc.lambda-url.us-east-1.on.aws/",
        "router_function": "router-fn",
    }
    path.write_text(json.dumps(outputs))
    loaded = load_outputs(path)
    assert loaded.targets["sm"]["endpoint_name"] == "ep"
    assert loaded.router_url == outputs["router_url"]
    assert loaded.router_function == "router-fn"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"targets": {"a": 1}}', "'targets' must map"),
    ],
)
def test_bad_outputs_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(text)
    with pytest.raises(ConfigFileError, match=message):
        load_outputs(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read stack outputs"):
        load_outputs(tmp_path / "nope.json")
