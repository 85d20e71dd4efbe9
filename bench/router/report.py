"""The result tables: every proxy's row against the upstream hit directly, the ratios,
and issue 15's targets against this run."""

from __future__ import annotations

from typing import Any

import orjson

from bench.router.workload import TRANSLATED

OTEL_ON = "inferplane router, OTel on"
# Issue 15's targets, as (ratio or added milliseconds) limits.
CPU_RATIO_MAX = 1.5
OTEL_CPU_RATIO_MAX = 2.0
ADDED_P50_MS_MAX = 0.1
ADDED_TTFT_MS_MAX = 0.2
TRANSLATION_RATIO_MAX = 1.2


def report(rows: list[dict[str, Any]], stall: dict[str, float]) -> None:
    direct = rows[0]
    print(
        "| proxy | CPU ms/req JSON c16 | CPU ms/req stream c16 | req/s JSON | req/s stream "
        "| p50 ms c1 | added p50 ms | TTFT ms | added TTFT ms | RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| upstream direct | | | | | {direct['p50_ms_c1']:.3f} | | {direct['ttft_ms']:.3f} | | |"
    )
    for row in rows[1:]:
        print(
            f"| {row['name']} | {row['cpu_ms_json']:.3f} | {row['cpu_ms_stream']:.3f} "
            f"| {row['rps_json']:.0f} | {row['rps_stream']:.0f} | {row['p50_ms_c1']:.3f} "
            f"| {row['p50_ms_c1'] - direct['p50_ms_c1']:.3f} | {row['ttft_ms']:.3f} "
            f"| {row['ttft_ms'] - direct['ttft_ms']:.3f} | {row['rss_mb']:.0f} |"
        )
    names = {row["name"]: row for row in rows}
    for mine in ("inferplane router", OTEL_ON):
        row = names[mine]
        for other in ("LiteLLM proxy", "bare aiohttp pass-through"):
            if other in names:
                ref = names[other]
                cpu_json = row["cpu_ms_json"] / ref["cpu_ms_json"]
                cpu_stream = row["cpu_ms_stream"] / ref["cpu_ms_stream"]
                print(
                    f"\nratio {mine} / {other}: CPU JSON {cpu_json:.3f}, "
                    f"CPU stream {cpu_stream:.3f}, RSS {row['rss_mb'] / ref['rss_mb']:.3f}"
                )
    print("\nblocking boto3 calls vs the event loop:", orjson.dumps(stall).decode())
    if "bare aiohttp pass-through" in names:
        print()
        bare = names["bare aiohttp pass-through"]
        print_targets(direct, names["inferplane router"], bare, names[OTEL_ON])


def target_rows(
    direct: dict[str, Any], ours: dict[str, Any], bare: dict[str, Any]
) -> list[tuple[str, float, str, bool]]:
    """Issue 15's targets against this run: (measure, value, target, met)."""
    rows: list[tuple[str, float, str, bool]] = []
    for mode in ("json", "stream"):
        ratio = ours[f"cpu_ms_{mode}"] / bare[f"cpu_ms_{mode}"]
        rows.append(
            (f"CPU/req {mode} router / bare", ratio, f"<= {CPU_RATIO_MAX}x", ratio <= CPU_RATIO_MAX)
        )
    p50 = (ours["p50_ms_c1"] - direct["p50_ms_c1"]) - (bare["p50_ms_c1"] - direct["p50_ms_c1"])
    rows.append(
        ("added p50 c1, router - bare (ms)", p50, f"< +{ADDED_P50_MS_MAX}", p50 < ADDED_P50_MS_MAX)
    )
    ttft = ours["ttft_ms"] - bare["ttft_ms"]
    rows.append(
        ("TTFT, router - bare (ms)", ttft, f"<= +{ADDED_TTFT_MS_MAX}", ttft <= ADDED_TTFT_MS_MAX)
    )
    apis = ours.get("api_cpu_ms") or {}
    for api in TRANSLATED:
        for mode in ("json", "stream"):
            if f"{api} {mode}" in apis:
                ratio = apis[f"{api} {mode}"] / apis[f"chat {mode}"]
                rows.append(
                    (
                        f"CPU/req {api} {mode} / chat {mode}",
                        ratio,
                        f"<= {TRANSLATION_RATIO_MAX}x",
                        ratio <= TRANSLATION_RATIO_MAX,
                    )
                )
    return rows


def otel_rows(otel: dict[str, Any], bare: dict[str, Any]) -> list[tuple[str, float, str, bool]]:
    """Issue 15's CPU target with OpenTelemetry on (exporting to a sink)."""
    rows: list[tuple[str, float, str, bool]] = []
    for mode in ("json", "stream"):
        ratio = otel[f"cpu_ms_{mode}"] / bare[f"cpu_ms_{mode}"]
        target = f"<= {OTEL_CPU_RATIO_MAX}x"
        rows.append(
            (f"CPU/req {mode} router, OTel on / bare", ratio, target, ratio <= OTEL_CPU_RATIO_MAX)
        )
    return rows


def print_targets(
    direct: dict[str, Any], ours: dict[str, Any], bare: dict[str, Any], otel: dict[str, Any]
) -> None:
    apis = ours.get("api_cpu_ms") or {}
    if apis:
        print("| API (router, c16) | CPU ms/req |")
        print("|---|---|")
        for name, value in apis.items():
            print(f"| {name} | {value:.3f} |")
        print()
    print("| issue 15 target (OpenTelemetry off unless said) | this run | target | met |")
    print("|---|---|---|---|")
    for measure, value, target, met in target_rows(direct, ours, bare) + otel_rows(otel, bare):
        print(f"| {measure} | {value:.3f} | {target} | {'yes' if met else 'NO'} |")
