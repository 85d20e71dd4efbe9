"""The collector a serving router runs with (``router.serve.settle_collector``)."""

from __future__ import annotations

import gc

from inferplane.router.serve import GEN0_THRESHOLD, settle_collector


def test_serving_freezes_startup_objects_and_collects_young_objects_less_often() -> None:
    before = gc.get_threshold()
    try:
        gc.unfreeze()
        settle_collector()
        # Start-up objects are out of the collector's reach; young collections wait for
        # 10,000 net allocations instead of CPython's 700 (the older generations as were).
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (10_000, before[1], before[2])
        assert GEN0_THRESHOLD == 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
