"""Memory-network signatures: states and labels line up with the mirror input."""
import numpy as np

from mannlib.models import ModelIO, build_model
from mannlib.chapters.memory_signatures import mirror_states
from mannlib.tasks.mirror import Mirror, labels


def test_states_and_labels_follow_the_input():
    task = Mirror()
    examples = task.analysis_set(np.random.default_rng(0), n=6, length=3)
    model = build_model("sann", ModelIO(task.input_size, task.output_size, False), hidden=8, cells=4, width=5)
    states, lab = mirror_states(model, examples, task)
    assert set(states) == {"h", "read", "memory"}
    assert states["h"].shape == (6, 7, 8) and states["read"].shape == (6, 7, 5) and states["memory"].shape == (6, 7, 20)
    assert lab.shape == (6, 7)
    for i, ex in enumerate(examples):  # input steps carry the code's label - 1; <EOS> and answers carry none
        assert lab[i, :3].tolist() == [v - 1 for v in labels(ex)]
        assert (lab[i, 3:] == -1).all()
    lstm = build_model("lstm", ModelIO(task.input_size, task.output_size, False), hidden=8)
    assert set(mirror_states(lstm, examples, task)[0]) == {"h"}


def test_a_file_decoded_from_another_run_is_decoded_again(monkeypatch, tmp_path):
    """The files are a cache keyed by run: when a model's default config changes (a new run id),
    its file is decoded again instead of describing the old run."""
    import json
    from mannlib.chapters.memory_signatures import mann_signatures
    from mannlib.engine.cache import run_path
    from mannlib.engine.config import profile_config
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    paths = mann_signatures("quick", n_train=40, n_test=20, length=3)
    metas = {p.stem: json.loads(p.read_text())["meta"] for p in paths}
    assert metas["mirror-tann"]["run"] == run_path(profile_config("mirror", "tann", "quick", 0)).name
    stale = paths[1]
    blob = json.loads(stale.read_text())
    stale.write_text(json.dumps({**blob, "meta": {**blob["meta"], "run": "mirror-tann-000000000000"}}))
    before = {p: p.stat().st_mtime_ns for p in paths}
    mann_signatures("quick", n_train=40, n_test=20, length=3)
    assert json.loads(stale.read_text())["meta"] == metas["mirror-tann"]           # decoded again
    assert [p for p in paths if p.stat().st_mtime_ns != before[p]] == [stale]     # the others skipped
