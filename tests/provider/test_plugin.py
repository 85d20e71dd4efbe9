"""The plugin as Pulumi runs it: ``provider/__main__.py`` (PulumiPlugin.yaml, runtime
python) serves the component provider over gRPC, and its GetSchema answers every public
component. ``pulumi package add`` generates the other languages' SDKs from that schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import grpc
import yaml
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.conftest import ROOT
from tests.provider.test_schema import PUBLIC

PLUGIN = ROOT / "provider"


def test_the_plugin_is_a_python_component_provider() -> None:
    plugin = yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    assert (PLUGIN / "requirements.txt").read_text().splitlines()[-1] == ".."


def test_the_plugin_serves_the_schema_over_grpc() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The engine address is only dialled by Construct; GetSchema answers on its own.
    with subprocess.Popen(
        [sys.executable, "-u", str(PLUGIN / "__main__.py"), "127.0.0.1:9"],
        cwd=PLUGIN,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as plugin:
        try:
            assert plugin.stdout is not None
            port = int(plugin.stdout.readline().strip() or 0)
            assert port, plugin.stderr.read() if plugin.stderr else ""
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = provider_pb2_grpc.ResourceProviderStub(channel)
                reply = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
        finally:
            plugin.terminate()
            plugin.wait(timeout=30)
    schema = json.loads(reply.schema)
    assert schema["name"] == "inferplane"
    assert set(schema["resources"]) == {f"inferplane:index:{name}" for name in PUBLIC}
