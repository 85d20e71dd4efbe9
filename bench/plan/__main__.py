"""Offline plan scaling: a generated program of N resources, planned warm.

Reports seconds per plan and, as the machine-independent figure, the ratio against a
reference run of the same program in the same process under Pulumi's stock MockMonitor
(what `@pulumi.runtime.test` uses). Run: `python -m bench.plan [--sizes 250,500,1000]`.
"""

from __future__ import annotations

import argparse
import contextvars
import runpy
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from inferplane.plan import Graph
from inferplane.plan.runner import record

PROGRAM = """
import pulumi
import pulumi_aws as aws

COUNT = {groups}


class Group(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("bench:index:Group", name)
        opts = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(f"{{name}}-logs", region="us-east-1",
                               tags={{"owner": "bench", "data-class": "internal"}}, opts=opts)
        aws.iam.Role(f"{{name}}-role", opts=opts,
                     assume_role_policy=bucket.arn.apply(lambda a: '{{"r": "%s"}}' % a))
        self.register_outputs({{"bucket": bucket.bucket}})


for i in range(COUNT):
    Group(f"g{{i}}")
"""


def _write_program(directory: Path, resources: int) -> Path:
    program = directory / "__main__.py"
    program.write_text(PROGRAM.format(groups=resources // 3))
    return program


def _plan(program: Path) -> tuple[float, int]:
    graph = Graph("bench", "bench")
    started = time.perf_counter()
    record(lambda: runpy.run_path(str(program)), graph, {"aws:region": "us-east-1"})
    return time.perf_counter() - started, len(graph.resources)


def _reference(program: Path) -> float:
    """The same program under the SDK's stock MockMonitor, no recording."""
    import pulumi
    from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    class Echo(pulumi.runtime.Mocks):
        def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", {**args.inputs, "arn": f"arn:aws:s3:::{args.name}"}

        def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            return {}, []

    def main_module() -> None:
        runpy.run_path(str(program))

    def run() -> None:
        pulumi.runtime.set_mocks(Echo(), "bench", "bench", preview=False)
        _sync_await(run_pulumi_func(main_module))

    started = time.perf_counter()
    contextvars.Context().run(run)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            program = _write_program(Path(tmp), size)
            _plan(program)  # warm: imports, provider SDK modules
            ours = [_plan(program) for _ in range(args.repeat)]
            ref = [_reference(program) for _ in range(args.repeat)]
            best, count = min(ours)
            print(
                f"{count:5d} resources: plan {best:.2f}s (median "
                f"{statistics.median(t for t, _ in ours):.2f}s), stock MockMonitor "
                f"{min(ref):.2f}s, ratio {best / min(ref):.2f}, "
                f"{1000 * best / count:.2f} ms/resource"
            )


if __name__ == "__main__":
    main()
