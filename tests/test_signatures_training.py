"""Training to the dev plateau (Koppula §4's early stopping), its checkpoints, decoders sized by the
paper's rule, and the plan of the memory-signatures campaign."""
import importlib

import numpy as np
import pytest
import torch

from mannlib.models import charlm
from mannlib.models.charlm import CharLM, LMConfig, LMError, TrainConfig, kernel_parameters, train_to_plateau

STREAM = np.tile(np.arange(5, dtype=np.uint8), 400)                      # 0 1 2 3 4 0 1 ...


def tiny(seed=0):
    torch.manual_seed(seed)
    return CharLM(LMConfig("gru", hidden=8, embed=4, vocab=5))


def scripted_dev(monkeypatch, perplexities):
    """Make the dev checks return ``perplexities`` in turn (the training itself stays real)."""
    it = iter(perplexities)
    monkeypatch.setattr(charlm, "evaluate", lambda model, stream, **kw: {"perplexity": next(it)})


@pytest.mark.parametrize("perplexities, patience, cap, stop_update, stopped, best, lrs", [
    # checks at 5, 10, ...: new bests at 5 and 10, then three without one: patience 3 stops at the 5th
    # check; the learning rate halves after each check without a new best
    ((9.0, 8.0, 8.5, 8.0, 9.0, 1.0), 3, 100, 25, "patience", 10, (1e-2, 1e-2, 1e-2, 5e-3, 2.5e-3)),
    # a tie is no new best: patience 2 stops at the 3rd check
    ((9.0, 9.0, 9.0, 1.0), 2, 100, 15, "patience", 5, (1e-2, 1e-2, 5e-3)),
    # improving at every check: the cap (not a multiple of eval_every: a last check at the cap) stops it
    ((9.0, 8.0, 7.0, 6.0, 5.0), 2, 22, 22, "cap", 22, (1e-2,) * 5),
])
def test_training_stops_at_the_patience_or_the_cap(monkeypatch, perplexities, patience, cap, stop_update, stopped,
                                                   best, lrs):
    scripted_dev(monkeypatch, perplexities)
    cfg = TrainConfig(updates=cap, batch=4, bptt=8, lr=1e-2, warmup=0.0, eval_every=5, patience=patience, decay=0.5)
    report = train_to_plateau(tiny(), STREAM, cfg, STREAM[:200])
    assert (report["updates"], report["stopped"], report["best_update"]) == (stop_update, stopped, best)
    assert len(report["losses"]) == stop_update and report["symbols_seen"] == stop_update * 4 * 8
    checks = report["dev_checks"]
    assert [c[0] for c in checks] == [u for u in range(5, stop_update + 1, 5)] + ([stop_update] if stop_update % 5 else [])
    assert [c[1] for c in checks] == list(perplexities[:len(checks)])
    assert [c[2] for c in checks] == pytest.approx(lrs)


def test_a_constant_model_stops_after_patience_checks_exactly():
    # lr 0: the weights never move, every dev check equals the first, the first is the best and
    # the run stops at (1 + patience) * eval_every
    cfg = TrainConfig(updates=1000, batch=4, bptt=8, lr=0.0, warmup=0.0, eval_every=7, patience=3, eval_chars=100)
    model = tiny()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = train_to_plateau(model, STREAM, cfg, STREAM[:200])
    assert (report["updates"], report["best_update"], report["stopped"]) == (28, 7, "patience")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_the_best_weights_are_kept(monkeypatch):
    scripted_dev(monkeypatch, (5.0, 1.0, 2.0, 3.0))
    cfg = TrainConfig(updates=100, batch=4, bptt=8, lr=1e-2, warmup=0.0, eval_every=3, patience=2)
    model = tiny()
    report = train_to_plateau(model, STREAM, cfg, STREAM[:200])
    assert (report["best_update"], report["updates"]) == (6, 12)
    # retrain 6 updates uninterrupted, without dev checks: the weights at update 6
    ref = tiny()
    scripted_dev(monkeypatch, (5.0, 1.0))
    train_to_plateau(ref, STREAM, TrainConfig(updates=6, batch=4, bptt=8, lr=1e-2, warmup=0.0, eval_every=3,
                                              patience=5), STREAM[:200])
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(model.state_dict()[k], v, rtol=0, atol=0)


def test_a_killed_run_resumes_to_the_same_weights(monkeypatch, tmp_path):
    torch.set_num_threads(1)
    cfg = TrainConfig(updates=60, batch=4, bptt=8, lr=2e-2, warmup=0.1, eval_every=10, patience=50, eval_chars=200)
    whole = tiny()
    ref = train_to_plateau(whole, STREAM, cfg, STREAM[:400])

    real, calls = charlm.evaluate, []

    def dies_at_the_third_check(model, stream, **kw):
        calls.append(1)
        if len(calls) == 3:                    # update 30 has been taken, the checkpoint is from update 20
            raise KeyboardInterrupt
        return real(model, stream, **kw)
    monkeypatch.setattr(charlm, "evaluate", dies_at_the_third_check)
    ckpt = tmp_path / "lm.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_to_plateau(tiny(), STREAM, cfg, STREAM[:400], checkpoint=ckpt)
    assert torch.load(ckpt, weights_only=True)["update"] == 20
    monkeypatch.setattr(charlm, "evaluate", real)
    resumed_model = tiny(seed=1)                 # other initial weights: everything comes from the checkpoint
    resumed = train_to_plateau(resumed_model, STREAM, cfg, STREAM[:400], checkpoint=ckpt)
    for k, v in whole.state_dict().items():
        assert torch.equal(resumed_model.state_dict()[k], v), k
    assert resumed["losses"] == ref["losses"] and resumed["dev_checks"] == ref["dev_checks"]
    assert (resumed["updates"], resumed["stopped"]) == (60, "cap")
    # a finished checkpoint answers at once with the same result; another setting is refused
    again = tiny(seed=2)
    assert train_to_plateau(again, STREAM, cfg, STREAM[:400], checkpoint=ckpt)["dev_checks"] == ref["dev_checks"]
    assert all(torch.equal(again.state_dict()[k], v) for k, v in whole.state_dict().items())
    with pytest.raises(LMError, match="another training setting"):
        train_to_plateau(tiny(), STREAM, TrainConfig(**{**cfg.__dict__, "lr": 1e-3}), STREAM[:400], checkpoint=ckpt)


def test_bad_plateau_settings_name_what_is_allowed():
    with pytest.raises(LMError, match="eval_every >= 1"):
        TrainConfig(patience=3, eval_every=0)
    with pytest.raises(LMError, match="decay"):
        TrainConfig(patience=3, eval_every=5, decay=0.0)
    with pytest.raises(LMError, match="patience >= 1"):
        train_to_plateau(tiny(), STREAM, TrainConfig(), STREAM)


def test_kernel_parameters_by_hand():
    # GRU, 80 units reading a 32-wide embedding: 3 gate blocks x 80 x (32 + 80 + 2 biases)
    assert kernel_parameters(LMConfig("gru", 80, 1, 32)) == 3 * 80 * 114 == 27_360
    # LSTM [4, 320]: layer 1 reads the embedding, layer 2 the 320 units below
    assert kernel_parameters(LMConfig("lstm", 320, 4, 32), 1) == 4 * 320 * 354 == 453_120
    assert kernel_parameters(LMConfig("lstm", 320, 4, 32), 2) == 4 * 320 * 642 == 821_760
    for cfg, layer in ((LMConfig("gru", 80, 1, 32), 1), (LMConfig("lstm", 24, 3, 8), 3)):
        assert kernel_parameters(cfg, layer) == sum(p.numel() for p in CharLM(cfg).rnns[layer - 1].parameters())
    with pytest.raises(LMError, match="1..4"):
        kernel_parameters(LMConfig("lstm", 320, 4, 32), 5)


# --- decoders of the paper's size ----------------------------------------------------------------------
def test_decoder_parameters_and_the_rule_width_by_hand():
    from mannlib.methods.signatures import SignatureError, decoder_parameters, rule_width
    # Linear(80, H) + Linear(H, 31): H * 81 + 31 * (H + 1)
    assert decoder_parameters(80, 245, 31) == 245 * 81 + 31 * 246 == 27_471
    assert decoder_parameters(80, 244, 31) == 27_359
    # the GRU [1, 80]'s kernel and input projection have 27,360 parameters: 244 units fall one short
    assert rule_width(80, 27_360, 31) == 245 and rule_width(80, 27_359, 31) == 244
    # LSTM [1, 320]: 453,120 -> ceil((453,120 - 31) / 352) = 1,288 (1,287 units give 453,055)
    assert rule_width(320, 453_120, 31) == 1_288
    assert decoder_parameters(320, 1_287, 31) < 453_120 <= decoder_parameters(320, 1_288, 31)
    assert rule_width(80, 1, 31) == 1
    with pytest.raises(SignatureError, match="dim, vocab and parameters"):
        rule_width(0, 100, 31)


def test_dev_score_is_the_mean_over_delta_of_the_chosen_dropouts_dev_accuracy():
    from mannlib.methods.signatures import Signature, dev_score
    sig = Signature(np.zeros((2, 3)), np.zeros((2, 3), int), np.zeros(2), dev_accuracy=np.array([[0.5, 0.9], [0.4, 0.2]]))
    assert dev_score(sig) == pytest.approx((0.9 + 0.4) / 2)


# --- the plan --------------------------------------------------------------------------------------------
def test_dev_checks_and_unit_minutes_by_hand():
    from mannlib.chapters import memory_signatures as MS
    from mannlib.chapters.memory_signatures.plan import EVAL_COST, dev_checks
    cfg = TrainConfig(updates=3000, batch=32, bptt=64, eval_every=200, patience=4)
    assert dev_checks(0, cfg) == 15 and dev_checks(1000, cfg) == 10 and dev_checks(1100, cfg) == 10
    assert dev_checks(0, TrainConfig(updates=1000, eval_every=300, patience=1)) == 4       # 300, 600, 900 and 1000
    p = MS.get_profile("paper", "plateau")
    unit = next(u for u in MS.units("paper", "plateau") if u.name == "bbc-gru-1x80")
    width = MS.rule_width(80, 27_360, 31)                                                  # 245, one layer, scale 1
    cost = MS.unit_minutes(unit, p, s_update=0.02, s_decoder={width: 0.5}, start=1000)
    # 2,000 updates x 0.02 s; 10 checks of 60,000 / 2,048 updates' symbols at a third of the cost; 200 steps x 0.5 s
    assert cost["lm_min"] == pytest.approx(2000 * 0.02 / 60)
    assert cost["eval_min"] == pytest.approx(10 * 60_000 / 2048 * 0.02 * EVAL_COST / 60)
    assert cost["decoder_min"] == pytest.approx(200 * 0.5 / 60)
    assert cost["cpu_min"] == pytest.approx(cost["lm_min"] + cost["eval_min"] + cost["decoder_min"])


def test_plan_counts_done_units_and_resumes_from_checkpoints(monkeypatch, tmp_path, capsys):
    from mannlib.chapters import memory_signatures as MS
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    out = MS.results_dir("quick", "plateau")
    (out / "checkpoints").mkdir(parents=True)
    (out / "bbc-gru-1x16.json").write_text("{}")                                           # done
    torch.save({"update": 30}, out / "checkpoints" / "bbc-lstm-1x16.ckpt")                 # half way
    from mannlib.chapters.memory_signatures.plan import EVAL_COST
    table = MS.print_plan("quick", "plateau", 2, time_update=lambda unit, p: 1.0 * unit.layers,
                          time_decoder=lambda dim, width, p: 0.25)
    assert table.loc["bbc-gru-1x16", "done"] and table.loc["bbc-gru-1x16", "cpu_min"] == 0
    assert table.loc["bbc-lstm-1x16", "resume_at"] == 30 and table.loc["bbc-gru-1x32", "resume_at"] == 0
    # quick plateau: 60 updates a model, a dev check every 10 on 2,000 symbols (16 x 32 a batch),
    # two decoder sizes a layer (scales 0.25 and 1), 80 steps each
    per_check = 2000 / 512 * EVAL_COST                                                      # x 1 s an update
    lstm16 = (30 * 1.0 + 3 * per_check + 2 * 80 * 0.25) / 60                               # 30 updates and 3 checks left
    assert table.loc["bbc-lstm-1x16", "cpu_min"] == pytest.approx(lstm16)
    deep = (60 * 2.0 + 6 * per_check * 2 + 2 * 2 * 80 * 0.25) / 60                         # 2 layers: twice the update
    assert table.loc["bbc-gru-2x16", "cpu_min"] == pytest.approx(deep)
    retrained = (20 * 1.0 + 4 * per_check + 2 * 80 * 0.25) / 60                             # 20 updates, checks every 5
    assert table.loc["shakespeare-lstm-1x32-bbc5", "cpu_min"] == pytest.approx(retrained)
    assert table.loc["ngram5-bbc", "cpu_min"] == pytest.approx(0.1)
    printed = capsys.readouterr().out
    total = table["cpu_min"].sum() / 60
    # four fresh 1-layer models, the resumed one, two deep ones, the retrained one, the n-gram (6 s)
    by_hand = 4 * (60 + 6 * per_check + 40) + (30 + 3 * per_check + 40) + 2 * (120 + 12 * per_check + 80) \
        + (20 + 4 * per_check + 40) + 6
    assert total == pytest.approx(by_hand / 3600) and round(total, 2) == 0.28
    assert f"10 units, 9 to run: {total:.2f} CPU-hours" in printed and f"about {total / 2:.2f} h on 2 core(s)" in printed
    assert "bbc-gru-1x16                       done" in printed and "resumes at update 30" in printed


# --- the plateau setting of the chapter ------------------------------------------------------------------
def test_the_plateau_setting_has_its_own_names_and_folder(monkeypatch, tmp_path):
    from mannlib.chapters import memory_signatures as MS
    from mannlib.engine.paths import DATA
    assert MS.TRAINED in MS.PLATEAU_CAPS and MS.get_profile("paper") is MS.get_profile("paper", MS.TRAINED)  # the book's
    assert MS.results_dir("paper", "short") == DATA / "signatures"
    assert MS.results_dir("paper", "plateau") == DATA / "signatures" / "plateau"
    assert MS.results_dir("paper") == DATA / "signatures" / MS.TRAINED
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    assert MS.results_dir("quick", "plateau") == tmp_path / "signatures-quick-plateau"
    short, plateau = ({u.name for u in MS.units("paper", t)} for t in ("short", "plateau"))
    assert "news-lstm-1x640" in short and "shakespeare-lstm-1x320-news5" in short and not short & {
        "bbc-lstm-1x640", "shakespeare-lstm-1x320-bbc5"}
    assert {"bbc-lstm-1x640", "bbc-gru-4x320", "shakespeare-lstm-1x320-bbc5", "ngram5-bbc"} <= plateau
    assert short & plateau == {"shakespeare-gru-1x320", "shakespeare-lstm-1x320"}          # in other folders
    p = MS.get_profile("paper", "plateau")
    assert (p.lm.patience, p.lm.eval_every, p.lm.updates) == (MS.PLATEAU["patience"], MS.PLATEAU["eval_every"],
                                                             MS.PLATEAU["cap"])
    assert MS.MIN_ADAPTATION_SENTENCES == 925                                              # half of 5% of 37,000
    with pytest.raises(MS.SignatureError, match="short, plateau"):
        MS.get_profile("paper", "long")
    with pytest.raises(MS.SignatureError, match="paper, quick"):
        MS.results_dir("full", "plateau")


def plateau_results(sentences):
    """Made-up quick plateau results: every claim reproduced, the adaptation set ``sentences`` long."""
    from mannlib.chapters import memory_signatures as MS
    from mannlib.methods.signatures import Signature
    p = MS.get_profile("quick", "plateau")

    def sig(v, acc=0.5):
        return Signature(np.full((10, 3), acc), np.full((10, 3), 100), np.asarray(v, float))
    r = {f"shakespeare-gru-1x{p.main}": {"signatures": {"layer1": sig(np.linspace(0.9, 0.3, 10))}}}
    for c in ("gru", "lstm"):
        for h, v in zip(p.sizes, (0.2, 0.3)):
            r[f"bbc-{c}-1x{h}"] = {"signatures": {"layer1": sig([v] * 10)}, "perplexity": {"bbc": 3.0}}
        r[f"bbc-{c}-2x16"] = {"signatures": {"layer1": sig([0.3] * 10), "layer2": sig([0.2] * 10)}}
    for (k, name), ppl, acc in zip(MS.fig4_units(p).items(), (3.0, 2.0, 1.5), (0.0, 0.5, 0.9)):
        r.setdefault(name, {"signatures": {"layer1": sig([0.5] * 10)}})
        r[name]["signatures"]["layer1"] = sig([0.5] * 10, acc)
        r[name]["perplexity"] = {"bbc": ppl}
    r[MS.fig4_units(p)["b"]]["train"] = {"train_sentences": sentences}
    return r, p


@pytest.mark.parametrize("sentences, verdict", [(925, "reproduced"), (924, "not testable"), (117, "not testable")])
def test_fig4_is_not_testable_on_an_adaptation_set_below_half_the_papers(sentences, verdict):
    from mannlib.chapters import memory_signatures as MS
    r, p = plateau_results(sentences)
    claims = {c.key: c for c in MS.judge(r, p)}
    assert [claims[k].verdict for k in ("decline", "size", "depth")] == ["reproduced"] * 3
    fig4 = claims["adaptation"]
    assert fig4.verdict == verdict
    assert fig4.ours.startswith("BBC News perplexity 3.000 (Shakespeare), 2.000 (retrained), 1.500 (BBC News)")
    assert fig4.ours.endswith(f"adaptation set {sentences:,} sentences")
    assert "fewer than 925 sentences (half of the paper's 5% of WSJ's 37,000 segments)" in fig4.criterion


def test_the_bbc_adaptation_set_is_testable_and_the_lee_one_is_not():
    from mannlib.chapters import memory_signatures as MS
    from mannlib.tasks import corpus as C
    stop = C.SYMBOLS.index(".")
    full_stops = {name: int((C.load(name).train[: int(len(C.load(name).train) * 0.05)] == stop).sum())
                  for name in ("bbc", "news")}
    assert full_stops["bbc"] >= MS.MIN_ADAPTATION_SENTENCES > full_stops["news"]


def test_quick_plateau_trains_resumably_sizes_decoders_and_drops_big_weights(monkeypatch, tmp_path, capsys):
    from dataclasses import replace
    from mannlib.chapters import memory_signatures as MS
    settings = importlib.import_module("mannlib.chapters.memory_signatures.settings")   # not MS.settings, the function
    from mannlib.tasks import corpus as C
    monkeypatch.setenv("MANNLIB_RUNS", str(tmp_path))
    p = MS.get_profile("quick", "plateau")
    # keep only models of at most 10,000 parameters: the Shakespeare LSTM (the parent) stays anyway
    monkeypatch.setitem(settings.PLATEAU_PROFILES, "quick", replace(p, keep_weights_below=10_000))
    done = MS.reproduce("quick", jobs=1, only=["shakespeare-lstm-1x32-bbc5", "bbc-gru-1x16"], trained="plateau")
    assert list(done) == ["shakespeare-lstm-1x32", "shakespeare-lstm-1x32-bbc5", "bbc-gru-1x16"]
    out = MS.results_dir("quick", "plateau")
    assert not list((out / "checkpoints").iterdir())                                      # removed once stored
    parent, child, small = (done[n] for n in ("shakespeare-lstm-1x32", "shakespeare-lstm-1x32-bbc5", "bbc-gru-1x16"))
    for r, cfg in ((parent, p.lm), (child, p.finetune), (small, p.lm)):
        t = r["train"]
        assert t["stopped"] in ("patience", "cap") and t["updates"] <= cfg.updates and len(t["losses"]) == t["updates"]
        assert [c[0] for c in t["dev_checks"]][:2] == [cfg.eval_every, 2 * cfg.eval_every]
        assert t["best_dev_perplexity"] == min(c[1] for c in t["dev_checks"])
        if t["stopped"] == "patience":
            assert t["updates"] == t["best_update"] + cfg.patience * cfg.eval_every
    assert child["train"]["train_sentences"] >= MS.MIN_ADAPTATION_SENTENCES
    assert child["train"]["train_symbols"] == int(len(C.load("bbc").train) * p.finetune_fraction)
    sig = MS.load_results("quick", "plateau")["bbc-gru-1x16"]["signatures"]["layer1"]
    sweep = sig.extra["decoder_sweep"]
    rule = MS.rule_width(16, 3 * 16 * (32 + 16 + 2), 31)
    assert [s["scale"] for s in sweep] == [0.25, 1.0] and [s["widths"] for s in sweep] == [[round(rule / 4)], [rule]]
    best = max(sweep, key=lambda s: s["dev_score"])
    assert sig.extra["decoder_scale"] == best["scale"] and sig.extra["decoder_hidden"] == best["widths"][0]
    assert sig.extra["rule_parameters"] == 2_400
    # weights: the parent stays (a child retrains from it), the 3,919-parameter GRU stays, the 10,463-parameter child goes
    models = sorted(f.name for f in (out / "models").glob("*.pt"))
    assert models == ["bbc-gru-1x16.pt", "shakespeare-lstm-1x32.pt"]
    curves = MS.learning_curves(MS.load_results("quick", "plateau"))
    assert set(curves.index.get_level_values("model")) == set(done)
    # progress: a line at every dev check of every model and when its decoders start, then the unit's summary
    lines = capsys.readouterr().out.splitlines()
    for name, r in done.items():
        checks = [l for l in lines if l.startswith(f"[signatures] {name}: update ")]
        assert len(checks) == len(r["train"]["dev_checks"]), name
        assert checks[-1].endswith(f"stopped by {r['train']['stopped']}")
        assert f"[signatures] {name}: decoding 1 layer(s), δ = 1-{p.decoder.max_delta}" in lines
    assert MS.reproduce("quick", jobs=1, only=["bbc-gru-1x16"], trained="plateau") == {}   # cached


def test_a_stored_model_trained_under_another_setting_is_refused_not_reused(tmp_path):
    from dataclasses import asdict, replace
    from mannlib.methods.signatures import SignatureError
    pipeline = importlib.import_module("mannlib.chapters.memory_signatures.pipeline")
    cfg = TrainConfig(updates=3000, patience=4, eval_every=200)
    path = tmp_path / "bbc-gru-1x80.train.json"
    pipeline.check_trained_with({"config": asdict(cfg)}, cfg, path)                  # the same setting: fine
    with pytest.raises(SignatureError, match=r"bbc-gru-1x80.train.json was trained with updates 3000 \(now 6000\)"):
        pipeline.check_trained_with({"config": asdict(cfg)}, replace(cfg, updates=6000), path)
    # a report written before a field existed counts as that field's default
    old = {k: v for k, v in asdict(cfg).items() if k not in ("patience", "decay")}
    pipeline.check_trained_with({"config": old}, replace(cfg, patience=TrainConfig().patience), path)
    with pytest.raises(SignatureError, match="patience"):
        pipeline.check_trained_with({"config": old}, cfg, path)
