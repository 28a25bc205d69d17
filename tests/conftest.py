"""One torch thread for tests: tiny tensors on a shared 2-core machine run far slower with two.
And a guard: no test may train into the committed run cache (data/runs). Tests read the committed
runs; a test that trains points MANNLIB_RUNS at a scratch directory.

Portable numerics (mannlib.portable), set before torch loads: tests that pin a trained number
(the quick-profile references, a run stopping at a given update) give the same result on other
x86-64 CPUs, not only on the one where the number was recorded; where they still differ, a CPU kind
keeps its own reference set (mannlib.reference)."""
from mannlib import portable

portable.set_before_torch()

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def never_train_into_data(monkeypatch):
    from mannlib.engine import cache
    from mannlib.engine.paths import DATA
    real = cache._train_into

    def guarded(path, *args, **kwargs):
        if (DATA / "runs") in path.resolve().parents:
            pytest.fail(f"a test started training {path.name} into the committed cache data/runs")
        return real(path, *args, **kwargs)
    monkeypatch.setattr(cache, "_train_into", guarded)
