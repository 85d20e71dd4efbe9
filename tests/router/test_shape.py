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


def test_metrics_recorded_by_values_render_with_their_label_names() -> None:
    """Series are recorded by label values alone; render joins each family's names."""
    metrics = Metrics()
    metrics.request("default", "mock", 200, "public")
    metrics.request("default", "-", 429, "public", "rate_limit_exceeded")
    metrics.request("default", "mock", 200, "public")
    metrics.attempt("mock", "ok")
    metrics.usage("mock", 40, 20, 0.5)
    metrics.usage("mock", 1, 2, 0.25)
    metrics.upstream_latency("mock", 0.02)
    series = {
        line
        for line in metrics.render().decode().splitlines()
        if line.startswith(("inferplane_requests", "inferplane_upstream", "inferplane_tokens"))
        or line.startswith("inferplane_cost")
    }
    assert series == {
        'inferplane_requests_total{route="default",target="mock",status="200",'
        'data_class="public",reason="ok"} 2',
        'inferplane_requests_total{route="default",target="-",status="429",'
        'data_class="public",reason="rate_limit_exceeded"} 1',
        'inferplane_upstream_attempts_total{target="mock",outcome="ok"} 1',
        'inferplane_tokens_total{target="mock",kind="prompt"} 41',
        'inferplane_tokens_total{target="mock",kind="completion"} 22',
        'inferplane_cost_usd_total{target="mock"} 0.75',
        *(
            f'inferplane_upstream_seconds_bucket{{target="mock",le="{le}"}} {n}'
            for le, n in (
                ("0.005", 0),
                ("0.01", 0),
                ("0.025", 1),
                ("0.05", 1),
                ("0.1", 1),
                ("0.25", 1),
                ("0.5", 1),
                ("1.0", 1),
                ("2.5", 1),
                ("5.0", 1),
                ("10.0", 1),
                ("30.0", 1),
                ("60.0", 1),
                ("+Inf", 1),
            )
        ),
        'inferplane_upstream_seconds_sum{target="mock"} 0.02',
        'inferplane_upstream_seconds_count{target="mock"} 1',
    }
