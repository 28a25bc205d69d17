"""The chapter's resumable pipeline: train (or load) every unit of a profile, score it, fit its
signatures, and write one JSON file per unit under :func:`~.settings.results_dir`.

Every file is written atomically and a finished unit is never redone, so ``python -m mannlib
reproduce signatures`` can be stopped and restarted; data/signatures/plateau-6k holds the paper
profile's results of the setting the book reads, data/signatures/plateau those of the same with half
the cap, data/signatures those of the short one, all committed.
Each unit runs on one thread, so its numbers do not depend on ``jobs``. In the plateau setting a
language model in training is also checkpointed at every dev check (``checkpoints/<unit>.ckpt``,
removed once its model is stored), so a killed campaign loses at most one dev interval of each
model in training.
"""
from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import time
from pathlib import Path

import numpy as np
import torch

from dataclasses import replace

from ...methods.signatures import (Signature, SignatureError, StateSet, decoder_parameters, dev_score, fit_signature,
                                   ngram_signature, rule_width, write_json)
from ...models.charlm import (CharLM, LMConfig, evaluate, kernel_parameters, load_lm, save_lm, train_lm,
                              train_to_plateau)
from ...tasks import corpus as corpora
from .settings import Profile, Unit, models_dir, resolve, results_dir, units


def windows(stream: np.ndarray, rows: int, length: int) -> np.ndarray:
    """Up to ``rows`` windows of ``length`` symbols spread evenly over the stream, never
    overlapping (fewer rows when the stream is short): (rows, length)."""
    length = min(length, len(stream))
    rows = max(1, min(rows, len(stream) // length))
    starts = np.linspace(0, len(stream) - length, rows).astype(int)
    return np.stack([stream[s: s + length] for s in starts]).astype(np.int64)


def layer_statesets(model: CharLM, stream: np.ndarray, rows: int, length: int, warmup: int) -> list[StateSet]:
    """One StateSet per layer: the memory after each symbol of windows of ``stream``, each
    window read from a zero state and decoded from step ``warmup`` on."""
    x = windows(stream, rows, length)
    mask = np.zeros(x.shape, bool)
    mask[:, warmup:] = True
    return [StateSet(m.numpy(), x, mask) for m in model.memory_states(torch.as_tensor(x))]


def train_or_load(unit: Unit, p: Profile, out: Path) -> tuple[CharLM, dict]:
    """The unit's model, trained now or read back from ``out/models``, and its training report.
    Every later number comes from the stored (float16) weights, so a rerun reproduces it. ``out``
    is the setting's :func:`~.settings.models_dir`: every decoding of a model reads the same one."""
    model_path, report_path = out / "models" / f"{unit.name}.pt", out / "models" / f"{unit.name}.train.json"
    checkpoint = out / "checkpoints" / f"{unit.name}.ckpt"
    cfg = p.finetune if unit.parent else p.lm if unit.layers == 1 else p.deep_lm
    if model_path.exists() and report_path.exists():
        check_trained_with(json.loads(report_path.read_text()), cfg, report_path)
    else:
        torch.manual_seed(0)
        model = CharLM(LMConfig(unit.cell, unit.hidden, unit.layers, p.embed))
        cfg, train = p.lm if unit.layers == 1 else p.deep_lm, corpora.load(unit.corpus).train
        if unit.parent:
            model.load_state_dict(load_lm(out / "models" / f"{unit.parent}.pt").state_dict())
            cfg, train = p.finetune, train[: int(len(train) * p.finetune_fraction)]
        dev = corpora.load(unit.corpus).dev
        if cfg.patience:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            report = train_to_plateau(model, train, cfg, dev, checkpoint=checkpoint,
                                      on_check=lambda line: print(f"[signatures] {unit.name}: {line}", flush=True))
        else:
            report = train_lm(model, train, cfg, dev=dev)
        report.update(losses=[round(x, 4) for x in report["losses"]], train_symbols=int(len(train)))
        if unit.parent:  # Fig. 4's adaptation set, in sentences (full stops)
            report["train_sentences"] = int((train == corpora.SYMBOLS.index(".")).sum())
        save_lm(model, model_path)
        write_json(report_path, report)
    checkpoint.unlink(missing_ok=True)
    return load_lm(model_path), json.loads(report_path.read_text())


def check_trained_with(report: dict, cfg, path) -> None:
    """SignatureError unless the stored model at ``path`` was trained with ``cfg`` (a field its
    report predates must be at its default): a stored model is found by its unit's name, which
    does not say how it was trained, so a changed setting (a higher cap, say) must not silently
    reuse models trained under the old one."""
    from dataclasses import asdict, fields
    stored, wanted = report.get("config", {}), asdict(cfg)
    defaults = {f.name: f.default for f in fields(type(cfg))}
    differ = {k: (stored.get(k, defaults[k]), v) for k, v in wanted.items() if stored.get(k, defaults[k]) != v}
    if differ:
        what = ", ".join(f"{k} {a!r} (now {b!r})" for k, (a, b) in differ.items())
        raise SignatureError(f"{path.name} was trained with {what}: delete the unit's model, report and results "
                             f"(data/signatures/<setting>/models/ and its <unit>.json) to retrain it under the "
                             f"current setting, or restore the setting it was trained with")


def score_lm(model: CharLM, unit: Unit, p: Profile) -> dict:
    """Test perplexity on the unit's corpus (and ``perplexity_on``), and the per-symbol
    forward-prediction accuracy on its own corpus (Fig. 1b)."""
    scores = {"perplexity": {}}
    for name in dict.fromkeys((unit.corpus, *unit.perplexity_on)):
        ev = evaluate(model, corpora.load(name).test[: p.eval_symbols])
        scores["perplexity"][name] = ev["perplexity"]
        if name == unit.corpus:
            scores["forward"] = {"accuracy": ev["accuracy"], "symbols": ev["symbols"],
                                 "char_accuracy": np.where(np.isnan(ev["char_accuracy"]), None,
                                                           ev["char_accuracy"]).tolist(),
                                 "char_count": ev["char_count"].astype(int).tolist()}
    return scores


def decode_layers(sets: dict, lm: LMConfig, p: Profile) -> dict[str, Signature]:
    """Every layer's signature from its StateSets (split -> one per layer). With
    ``p.decoder_scales`` the decoders of layer l have ``scale`` x the width of §4's rule for that
    layer (:func:`~mannlib.methods.signatures.rule_width` of its
    :func:`~mannlib.models.charlm.kernel_parameters`); each scale decodes every layer, and the one
    with the best mean :func:`~mannlib.methods.signatures.dev_score` is kept for the model (§5:
    "selecting the best decoder architecture for every model architecture"). Without scales: the
    fixed ``p.decoder.hidden``."""
    def fit(l, cfg):
        return fit_signature(sets["train"][l], sets["test"][l], cfg, sets["dev"][l], corpora.VOCAB)
    layers = range(lm.layers)
    if not p.decoder_scales:
        return {f"layer{l + 1}": fit(l, p.decoder) for l in layers}
    best, sweep = None, []
    for scale in p.decoder_scales:
        sigs = {}
        for l in layers:
            rule = kernel_parameters(lm, l + 1)
            width = max(1, round(scale * rule_width(lm.hidden, rule, corpora.VOCAB)))
            sig = fit(l, replace(p.decoder, hidden=width))
            sig.extra.update(rule_parameters=rule, decoder_parameters=decoder_parameters(lm.hidden, width, corpora.VOCAB),
                             decoder_scale=scale)
            sigs[f"layer{l + 1}"] = sig
        score = float(np.mean([dev_score(sig) for sig in sigs.values()]))
        sweep.append({"scale": scale, "dev_score": round(score, 5),
                      "widths": [sig.extra["decoder_hidden"] for sig in sigs.values()]})
        if best is None or score > best[0]:
            best = (score, sigs)
    for sig in best[1].values():
        sig.extra["decoder_sweep"] = sweep
    return best[1]


def drop_weights(unit: Unit, profile, out: Path, trained: str | None = None, models: Path | None = None) -> bool:
    """Delete a finished unit's stored weights (under ``models``, default ``out``) when it has more
    than the profile's ``keep_weights_below`` parameters and no unit retrains from it (its results
    and training report stay: data/ must stay under 80 MB). True if deleted."""
    p = resolve(profile, trained)
    path = (out if models is None else models) / "models" / f"{unit.name}.pt"
    if p.keep_weights_below is None or not path.exists() or not (out / f"{unit.name}.json").exists():
        return False
    if any(u.parent == unit.name for u in units(p)):
        return False
    if sum(v.numel() for v in load_lm(path).parameters()) <= p.keep_weights_below:
        return False
    path.unlink()
    return True


def run_unit(unit: Unit, profile, out: Path | None = None, trained: str | None = None,
             models: Path | None = None) -> dict:
    """Train (or load) one unit's model, score it, fit its signatures and write ``<name>.json``
    atomically, with the wall time of every stage. ``profile``: a name or a :class:`Profile` of
    :func:`~.settings.settings`; ``out`` (default :func:`~.settings.results_dir`) gets the result,
    ``models`` the model (default: the setting's :func:`~.settings.models_dir` when ``out`` is the
    default, else ``out``). Runs on one thread; returns the result."""
    p = resolve(profile, trained)
    if models is None:
        models = models_dir(p) if out is None or out == results_dir(p) else out
    out = results_dir(p) if out is None else out
    out.mkdir(parents=True, exist_ok=True)
    (models / "models").mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        sig_corpus, wall = corpora.load(unit.signature_corpus), {}
        result = {"name": unit.name, "profile": p.name, "corpus": unit.corpus,
                  "signature_corpus": unit.signature_corpus, "parent": unit.parent, "threads": 1}
        t = time.perf_counter()
        if not unit.cell:  # the n-gram baseline
            sig = ngram_signature(corpora.load(unit.corpus).train, sig_corpus.test, p.ngram_order,
                                  p.decoder.max_delta, corpora.VOCAB)
            result["signatures"] = {"layer1": sig.to_dict()}
            wall["decoders"] = time.perf_counter() - t
        else:
            model, result["train"] = train_or_load(unit, p, models)
            wall["train"] = result["train"]["wall_s"]
            result["lm"] = {"cell": unit.cell, "layers": unit.layers, "hidden": unit.hidden, "embed": p.embed,
                            "parameters": sum(v.numel() for v in model.parameters())}
            t = time.perf_counter()
            result.update(score_lm(model, unit, p))
            wall["evaluate"], t = time.perf_counter() - t, time.perf_counter()
            sets = {s: layer_statesets(model, sig_corpus.split(s), *p.windows[s], p.warmup)
                    for s in ("train", "dev", "test")}
            wall["states"], t = time.perf_counter() - t, time.perf_counter()
            print(f"[signatures] {unit.name}: decoding {len(sets['test'])} layer(s), δ = 1-{p.decoder.max_delta}",
                  flush=True)
            result["signatures"] = {k: sig.to_dict() for k, sig in decode_layers(sets, model.cfg, p).items()}
            wall["decoders"] = time.perf_counter() - t
        result["wall_s"] = wall
        write_json(out / f"{unit.name}.json", result)
        if unit.cell:
            drop_weights(unit, p, out, models=models)
        return result
    finally:
        torch.set_num_threads(threads)


def _run_unit_by_name(name: str, profile, out: Path, trained: str | None = None) -> tuple[str, dict]:
    p = resolve(profile, trained)
    unit = {u.name: u for u in units(p)}[name]
    return name, run_unit(unit, p, out)


def _summary(result: dict) -> str:
    wall = result.get("wall_s", {})
    ppl = "".join(f", {k} ppl {v:.3f}" for k, v in result.get("perplexity", {}).items())
    return f"[signatures] {result['name']}: train {wall.get('train', 0):.0f}s, decoders {wall.get('decoders', 0):.0f}s{ppl}"


def reproduce(profile="paper", jobs: int = 2, only: list[str] | None = None,
              trained: str | None = None) -> dict:
    """Run every unit of ``profile`` (a name in the setting ``trained``, default
    :data:`~.settings.TRAINED`, or a :class:`Profile` of :func:`~.settings.settings`) whose result
    is missing (``only``: just these and their parents), ``jobs`` at a time in separate one-thread
    processes (``jobs=1``: here, one after another), printing a line per finished unit. A retrained
    model waits for its parent. Returns name -> result for the units run now."""
    p = resolve(profile, trained)
    all_units = units(p)
    names = [u.name for u in all_units]
    unknown = set(only or ()) - set(names)
    if unknown:
        raise SignatureError(f"unknown units {sorted(unknown)}; choose from {', '.join(names)}")
    wanted = set(only or names)
    wanted |= {u.parent for u in all_units if u.name in wanted and u.parent}  # a retrained model needs its parent
    out = results_dir(p)
    out.mkdir(parents=True, exist_ok=True)
    todo = [u for u in all_units if u.name in wanted and not (out / f"{u.name}.json").exists()]
    todo.sort(key=lambda u: -(u.layers * u.hidden ** 2))  # expensive first: the workers finish together
    unfinished, done = {u.name for u in todo}, {}

    def next_ready():
        return next((u for u in todo if u.parent not in unfinished), None)

    def finish(name, result):
        unfinished.discard(name)
        done[name] = result
        print(_summary(result), flush=True)

    if jobs <= 1 or len(todo) <= 1:
        while todo:
            u = next_ready()
            todo.remove(u)
            finish(u.name, run_unit(u, p, out))
        return done
    with cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        running = set()
        while todo or running:
            while len(running) < jobs and (u := next_ready()) is not None:
                todo.remove(u)
                running.add(pool.submit(_run_unit_by_name, u.name, p, out))
            finished, running = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for f in finished:
                finish(*f.result())
    return done


def load_results(profile="paper", trained: str | None = None) -> dict:
    """name -> result dict of every finished unit of ``profile`` (a name or a :class:`Profile`),
    with ``signatures`` as :class:`Signature`."""
    p, results = resolve(profile, trained), {}
    names = {u.name for u in units(p)}
    for path in sorted(results_dir(p).glob("*.json")):
        if path.stem not in names:     # a unit of other sizes, trained by another rerun
            continue
        r = json.loads(path.read_text())
        r["signatures"] = {k: Signature.from_dict(v) for k, v in r.get("signatures", {}).items()}
        results[r["name"]] = r
    return results
