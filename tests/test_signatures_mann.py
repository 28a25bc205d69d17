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
