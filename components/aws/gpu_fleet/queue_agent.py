"""The CloudWatch agent on each fleet instance: it scrapes the engine's Prometheus
``/metrics`` and publishes the queue gauge the group scales on (``QUEUE_NAMESPACE``)."""

from __future__ import annotations

import json
from typing import Any

from inferplane.components.shell import quote

__all__ = [
    "CLOUDWATCH_AGENT_POLICY",
    "QUEUE_NAMESPACE",
    "cloudwatch_agent_config",
    "cloudwatch_agent_lines",
]

QUEUE_NAMESPACE = "Inferplane/GpuFleet"
"""CloudWatch namespace of the queue metric; its one dimension is ``Fleet`` (the
fleet's name prefix), known before the group exists."""
CLOUDWATCH_AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
_CW_ETC = "/opt/aws/amazon-cloudwatch-agent/etc"
_PACKAGE = (
    "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/"
    "$(dpkg --print-architecture)/latest/amazon-cloudwatch-agent.deb"
)


def cloudwatch_agent_config(metric: str, fleet: str, port: int) -> tuple[str, str]:
    """(agent JSON, Prometheus scrape YAML): scrape the engine's ``/metrics`` on the
    instance every 15 s and publish ``metric`` (EMF) to ``QUEUE_NAMESPACE`` with the
    dimension ``Fleet=<fleet>`` added as a static label."""
    # JSON is YAML: one quoting story for both files.
    scrape = json.dumps(_scrape_config(fleet, port), sort_keys=True)
    return json.dumps(_agent_config(metric, fleet), sort_keys=True), scrape


def cloudwatch_agent_lines(metric: str, fleet: str, port: int) -> list[str]:
    """Install the CloudWatch agent (AWS's .deb for the DLAMI's Ubuntu) and start it with
    ``cloudwatch_agent_config``; every value reaches the script through ``quote``."""
    agent, scrape = cloudwatch_agent_config(metric, fleet, port)
    return [
        f'curl -fsSL -o /tmp/amazon-cloudwatch-agent.deb "{_PACKAGE}"',
        "dpkg -i -E /tmp/amazon-cloudwatch-agent.deb",
        f"mkdir -p {_CW_ETC}",
        f"printf '%s\\n' {quote(scrape, 'prometheus config')} > {_CW_ETC}/prometheus.yaml",
        f"printf '%s\\n' {quote(agent, 'agent config')} > {_CW_ETC}/inferplane.json",
        "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config"
        f" -m ec2 -s -c file:{_CW_ETC}/inferplane.json",
    ]


def _agent_config(metric: str, fleet: str) -> dict[str, Any]:
    emf = {
        "metric_namespace": QUEUE_NAMESPACE,
        "metric_declaration": [
            {
                "source_labels": ["job"],
                "label_matcher": "^model-server$",
                "dimensions": [["Fleet"]],
                "metric_selectors": [f"^{metric}$"],
            }
        ],
    }
    prometheus = {
        "log_group_name": f"/inferplane/{fleet}/prometheus",
        "prometheus_config_path": f"{_CW_ETC}/prometheus.yaml",
        "emf_processor": emf,
    }
    return {
        "agent": {"metrics_collection_interval": 15},
        "logs": {"metrics_collected": {"prometheus": prometheus}, "force_flush_interval": 5},
    }


def _scrape_config(fleet: str, port: int) -> dict[str, Any]:
    target = {"targets": [f"127.0.0.1:{port}"], "labels": {"Fleet": fleet}}
    return {
        "global": {"scrape_interval": "15s", "scrape_timeout": "10s"},
        "scrape_configs": [{"job_name": "model-server", "static_configs": [target]}],
    }
