"""A workload's own checks and files, on the router's workload (any HTTP service): what
``Workload.check`` refuses names the field (``container.*`` for what the ContainerSpec
holds), and its files roll the pods when they change."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from inferplane.components.kubernetes.manifests import workload_manifests
from tests.components.kubernetes.test_manifests import kinds, router
from tests.support.containers import changed


def test_router_files_roll_the_pods_when_they_change() -> None:
    first = kinds(workload_manifests(router()))
    other = dataclasses.replace(router(), files={"router.json": '{"stack": "prod"}'})
    second = kinds(workload_manifests(other))
    assert first["ConfigMap"]["data"] == {"router.json": '{"stack": "dev"}'}
    annotation = "inferplane.dev/files-sha256"
    assert (
        first["Deployment"]["spec"]["template"]["metadata"]["annotations"][annotation]
        != second["Deployment"]["spec"]["template"]["metadata"]["annotations"][annotation]
    )
    mounts = first["Deployment"]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "files", "mountPath": "/etc/inferplane", "readOnly": True} in mounts


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"port": 0}, "container.port 0 is out of range; allowed: 1..65535"),
        ({"health_path": "healthz"}, "container.health_path 'healthz' is not allowed"),
        ({"health_path": None}, "container.health_path None is not allowed"),
        ({"cpu": 0}, "container.resources.cpu 0 is out of range"),
        ({"memory_gib": 0.001}, "container.resources.memory_gib 0.001 is out of range"),
        ({"files": {"a/b": "x"}}, "files key 'a/b' is not a ConfigMap key"),
        ({"files_mount": "/tmp"}, "files_mount '/tmp' must be an absolute path"),
        ({"startup_seconds": 5}, "startup_seconds 5 is out of range"),
    ],
)
def test_invalid_workload_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        workload_manifests(changed(router(), changes))
