"""The router's shape (issue 14): the Gateway composes the pipeline's stages, and nothing
outside ``router.metrics`` reaches into its tables. (No module over 400 lines, the router's
included: tests/architecture/test_layers.py.)"""

from __future__ import annotations

import re

from inferplane.router.config import RouterConfig
from inferplane.router.core import Gateway
from inferplane.router.metrics import Metrics
from inferplane.router.pipeline.accounting import Accounting
from inferplane.router.pipeline.admission import Admission
from inferplane.router.pipeline.caching import Caching
from inferplane.router.pipeline.dispatch import Dispatch
from inferplane.router.pipeline.routing import Routing
from tests.conftest import ROOT
from tests.router import configs

ROUTER = ROOT / "router"
# Metrics' tables; other modules record through its methods.
_TABLES = re.compile(
    r"metrics\.(requests|attempts|tokens|cost|cache|pii|latency|breaker_state|log_dropped|"
    r"state_degraded)\b"
)


def test_only_metrics_touches_its_tables() -> None:
    reaching = {
        path.relative_to(ROOT).as_posix()
        for path in ROUTER.rglob("*.py")
        if path.name != "metrics.py" and _TABLES.search(path.read_text())
    }
    assert reaching == set()


def _config() -> RouterConfig:
    return configs.config(
        targets={"t": configs.target("http://127.0.0.1:9", ("public",))},
        routes=[{"name": "default", "targets": ["t"]}],
    )


def test_the_gateway_composes_one_object_per_stage() -> None:
    gateway = Gateway(_config())
    stages = {
        type(stage)
        for stage in (
            gateway.admission,
            gateway.routing,
            gateway.caching,
            gateway.dispatch,
            gateway.accounting,
        )
    }
    assert stages == {Admission, Routing, Caching, Dispatch, Accounting}
    # The stages share the Gateway's targets and breakers (tests and benches swap an
    # adapter in ``gateway.backends``; the dispatch must see it).
    assert gateway.dispatch.backends is gateway.backends
    assert gateway.dispatch.breakers is gateway.breakers


def test_metrics_methods_render_their_series() -> None:
    metrics = Metrics()
    metrics.pii_detected("email")
    metrics.cache_lookup("exact", hit=False)
    metrics.cache_lookup("semantic", hit=True)
    metrics.gauges({"t": "open", "u": "half_open"}, log_dropped=3, state_degraded=True)
    lines = set(metrics.render().decode().splitlines())
    assert {
        'inferplane_pii_detected_total{kind="email"} 1',
        'inferplane_cache_total{cache="exact",result="miss"} 1',
        'inferplane_cache_total{cache="semantic",result="hit"} 1',
        'inferplane_breaker_state{target="t"} 2',
        'inferplane_breaker_state{target="u"} 1',
        "inferplane_log_dropped_total 3",
        "inferplane_state_degraded 1",
    } <= lines
