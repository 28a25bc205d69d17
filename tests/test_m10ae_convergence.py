"""M10AE Fig. 5b, "all the models converge slowly": a verdict on curves that converge, "not
testable" on curves our budget cut short (mannlib.chapters.m10ae.convergence_claim)."""
import numpy as np
import pandas as pd
import pytest

from mannlib.chapters import m10ae as C

STEPS = np.arange(100, 1001, 100)          # ten curve points; with epochs=4, step 250 is one epoch


def curve(model, level, settle_step, seed=0):
    """Training accuracy rising linearly from 0.1 to ``level`` at ``settle_step``, flat after."""
    acc = 0.1 + (level - 0.1) * np.minimum(STEPS / settle_step, 1.0)
    return pd.DataFrame({"model": model, "seed": seed, "step": STEPS, "train_acc": acc})


def claim(*curves, epochs=4.0):
    return C.convergence_claim(pd.concat(curves, ignore_index=True), epochs)


def test_slow_fast_and_mixed_convergence():
    slow = [curve("lstm", 0.9, 600), curve("sann", 0.8, 700)]          # plateau at 2.4 and 2.8 epochs
    fast = [curve("lstm", 0.9, 100), curve("sann", 0.8, 200)]          # at 0.4 and 0.8 epochs
    assert claim(*slow).verdict == "reproduced"
    assert claim(*fast).verdict == "not reproduced"
    assert claim(slow[0], fast[1]).verdict == "partly"
    assert claim(*slow).ours.endswith("within 2 points of it from epoch LSTM 2.40, SANN 2.80")


def test_median_over_seeds_decides():
    seeds = [curve("lstm", 0.9, 600, 0), curve("lstm", 0.9, 100, 1), curve("lstm", 0.9, 700, 2)]
    assert claim(*seeds).verdict == "reproduced"                        # median 2.4 epochs > 1


@pytest.mark.parametrize("cut, why", [
    (curve("sann", 0.9, 1000), "still rising over its last quarter"),
    (curve("sann", 0.12, 100), "flat, but near guessing: not a solution"),
])
def test_curves_cut_short_are_not_testable(cut, why):
    c = claim(curve("lstm", 0.9, 600), cut)
    assert c.verdict == C.NOT_TESTED == "not testable", why
    assert c.ours.startswith("at this budget SANN has not converged; training accuracy after 4.00 epochs")
    assert "not testable: a model has not converged" in c.criterion


def test_our_committed_runs_are_not_testable():
    """The paper profile: 0.6 epoch, every curve near guessing (~15%)."""
    s = C.settings("paper")
    runs = C.load_runs(C.configs(s), s.profile)
    c = C.convergence_claim(C.curve_frame(runs), C.budget(s, runs[0].config)["epochs"])
    assert c.verdict == C.NOT_TESTED and "after 0.60 epochs" in c.ours
