"""Issue 21: the plateau settings differ only in their cap on updates, keep their results apart,
and the chapter compares them (does the cap move a test perplexity or a verdict?)."""
from dataclasses import asdict

import pandas as pd
import pytest

from mannlib.chapters import memory_signatures as MS
from mannlib.engine.paths import DATA


def test_plateau_settings_differ_only_in_the_cap():
    assert MS.TRAININGS == ("short", "plateau", "plateau-6k") and MS.PLATEAU_CAPS == {"plateau": 3000, "plateau-6k": 6000}
    for name in ("paper", "quick"):
        a, b = MS.get_profile(name, "plateau"), MS.get_profile(name, "plateau-6k")
        assert (a.trained, b.trained) == ("plateau", "plateau-6k")
        da, db = asdict(a), asdict(b)
        differ = {k for k in da if da[k] != db[k]}
        assert differ == ({"trained", "lm", "deep_lm"} if name == "paper" else {"trained"})
    p = MS.get_profile("paper", "plateau-6k")
    assert (p.lm.updates, p.deep_lm.updates, p.finetune.updates) == (6000, 6000, 1000)
    assert MS.get_profile("paper", "plateau").lm.updates == MS.PLATEAU["cap"] == 3000
    assert MS.results_dir(p) == DATA / "signatures" / "plateau-6k" != MS.results_dir("paper", "plateau")
    assert [u.name for u in MS.units(p)] == [u.name for u in MS.units("paper", "plateau")]
    with pytest.raises(MS.SignatureError, match="short, plateau, plateau-6k"):
        MS.get_profile("paper", "plateau-10k")


def _table(rows: dict) -> pd.DataFrame:
    """setting -> {model: (cap, updates, stopped, test perplexity)} as cap_table lays it out."""
    cols = ["cap", "updates", "stopped", "test perplexity"]
    return pd.concat({s: pd.DataFrame({m: dict(zip(cols, v)) for m, v in r.items()}).T for s, r in rows.items()}, axis=1)


def test_cap_values_say_what_the_larger_cap_changed():
    table = _table({"plateau": {"a": (3000, 3000, "cap", 4.0), "b": (3000, 3000, "cap", 3.0),
                                "c": (1000, 1000, "cap", 3.5)},
                    "plateau-6k": {"a": (6000, 4200, "patience", 3.8), "b": (6000, 6000, "cap", 3.03),
                                   "c": (1000, 1000, "cap", 3.5)}})
    verdicts = pd.DataFrame({"plateau": {"size": "reproduced", "depth": "partly"},
                             "plateau-6k": {"size": "reproduced", "depth": "reproduced"}})
    v = MS.cap_values(table, verdicts)
    assert v["cap_settings"] == '"plateau": 3,000 and "plateau-6k": 6,000'
    assert v["cap_text"] == (
        "Raising the cap from 3,000 to 6,000 updates (plateau-6k against plateau) changed the test perplexities "
        "by -5.0% to +1.0% (median +0.0%); 1 of the 3 language models then stopped at a plateau of their dev "
        "perplexity before the cap; the verdicts that moved: depth (partly → reproduced).")
    same = verdicts.assign(**{"plateau-6k": verdicts["plateau"]})
    assert MS.cap_values(table, same)["cap_text"].endswith("before the cap; no verdict moved.")
    one = MS.cap_values(table[["plateau"]], verdicts[["plateau"]])
    assert one["cap_text"].startswith("Only one plateau setting is stored")


def test_cap_comparison_reads_only_complete_committed_settings():
    assert MS.plateau_settings("quick") == {}
    assert MS.cap_table({}).empty and MS.cap_verdicts({}).empty
    by = MS.plateau_settings("paper")
    assert set(by) == {"plateau", "plateau-6k"}     # both committed in full
    for trained, results in by.items():
        assert set(results) == {u.name for u in MS.units("paper", trained)}
    table = MS.cap_table(by)
    assert set(table.columns.get_level_values(0)) == set(by)
    assert (table["plateau"]["cap"].isin([3000, 1000])).all()       # 1,000: the retrained LSTM's own cap
    assert set(MS.cap_verdicts(by).index) == {"decline", "size", "depth", "adaptation"}
    fig4 = MS.adaptation_by_setting(by)             # Fig. 4 per setting: the numbers its verdict rests on
    assert fig4.index.tolist() == list(by) and fig4.columns.tolist() == ["to domain", "to Shakespeare", "gap ratio"]
    for trained, row in fig4.iterrows():
        ours = next(c.ours for c in MS.judge(by[trained], MS.resolve("paper", trained)) if c.key == "adaptation")
        assert (f"gap ratio {row['gap ratio']:.1f}; signature distance retrained-BBC News {row['to domain']:.3f}, "
                f"retrained-Shakespeare {row['to Shakespeare']:.3f}") in ours


def test_fig4_setting_values_say_whether_the_nearer_model_depends_on_the_cap():
    def frame(*rows):
        return pd.DataFrame(rows, index=["plateau", "plateau-6k"][:len(rows)],
                            columns=["to domain", "to Shakespeare", "gap ratio"])
    flip = MS.fig4_setting_values(frame((0.046, 0.047, 3.7), (0.050, 0.041, 2.7)), "BBC News")["fig4_settings"]
    assert flip == ("Across the plateau settings, the retrained signature's distance to the BBC News model and to the "
                    'Shakespeare model, "plateau": 0.046 and 0.047; "plateau-6k": 0.050 and 0.041. The nearer model '
                    "changes with the training length (the two distances differ by 0.001 to 0.009), so by this "
                    "distance the retrained model is not clearly closer to either of the two.")
    same = MS.fig4_setting_values(frame((0.030, 0.047, 3.7), (0.020, 0.041, 2.7)), "BBC News")["fig4_settings"]
    assert same.endswith("The nearer model is the BBC News model in every setting.")
    same = MS.fig4_setting_values(frame((0.050, 0.047, 3.7), (0.060, 0.041, 2.7)), "BBC News")["fig4_settings"]
    assert same.endswith("The nearer model is the Shakespeare model in every setting.")
    one = MS.fig4_setting_values(frame((0.030, 0.047, 3.7)), "BBC News")["fig4_settings"]
    assert one.startswith("Fewer than two plateau settings are stored")
