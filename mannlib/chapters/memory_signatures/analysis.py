"""The chapter's analysis: tidy frames and numbers from the results of :func:`~.pipeline.load_results`.

``results`` is always name -> result dict of one unit (its ``signatures`` as
:class:`~mannlib.methods.signatures.Signature`), ``p`` a :class:`~.settings.Profile`. Each function
answers one question of a figure of Koppula et al. 2018 (Figs. 1-5) or of an exercise; the
figures (:mod:`.figures`) and the prose (:mod:`.prose`) are drawn from these.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ...methods.signatures import Signature, signature_distance
from ...tasks import corpus as corpora
from .settings import CELLS, Profile, fig4_units, percent

MIN_COUNT = 20     # (δ, symbol) cells backed by fewer test positions are greyed out and left out of summaries
LABELS = [c if c != " " else "\u2423" for c in corpora.SYMBOLS]  # the symbols, the space drawn as an open box
SPAN_MARGIN = 0.05  # Exercise 2: a δ counts in the memory span when recall beats the space floor by this
DOMAIN_LABELS = {"news": "news", "bbc": "BBC News"}  # corpus -> how figures name it


# --- cells that enough test positions back -------------------------------------------------------
def reliable(sig: Signature, min_count: int = MIN_COUNT) -> np.ndarray:
    """The (δ, symbol) accuracy map with thinly supported cells (< ``min_count`` positions) set to NaN."""
    return np.where(sig.count >= min_count, sig.accuracy, np.nan)


# --- Fig. 1: recall against forward prediction, per symbol ---------------------------------------
def forward_accuracy(result: dict, min_count: int = MIN_COUNT) -> np.ndarray:
    """The model's forward-prediction accuracy per next symbol (Fig. 1b), NaN where fewer than
    ``min_count`` test positions have that next symbol."""
    forward = np.array(result["forward"]["char_accuracy"], dtype=float)
    forward[np.array(result["forward"]["char_count"]) < min_count] = np.nan
    return forward


def symbol_table(sig: Signature, forward: np.ndarray, labels=LABELS, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """One row per symbol: mean recall over δ (reliable cells only) and its rank (1 = best),
    forward accuracy and its rank, and the test positions behind δ = 1. NaN where unknown."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)    # symbols without a single reliable cell
        memory = np.nanmean(reliable(sig, min_count), axis=0)

    def rank(v):
        return pd.Series(v).rank(ascending=False).to_numpy()
    return pd.DataFrame({"mean recall over δ": memory, "recall rank": rank(memory),
                         "forward accuracy": forward, "forward rank": rank(forward),
                         "test positions": sig.count[0]}, index=list(labels))


def recall_forward_correlation(table: pd.DataFrame) -> tuple[float, int]:
    """Spearman's rank correlation between mean recall and forward accuracy over the symbols that
    have both (§4: memory "correlates poorly with its prediction accuracy"), and how many they are."""
    memory, forward = table["mean recall over δ"].to_numpy(), table["forward accuracy"].to_numpy()
    ok = ~np.isnan(memory) & ~np.isnan(forward)
    return float(spearmanr(memory[ok], forward[ok]).statistic), int(ok.sum())


# --- the models and their cost ---------------------------------------------------------------------
def language_models(results: dict) -> dict:
    """The units that are neural language models (not the n-gram)."""
    return {name: r for name, r in results.items() if "lm" in r}


def unit_cost(result: dict) -> float:
    """Seconds one unit took: training, evaluation, states and decoders."""
    return sum(result["wall_s"].get(k, 0.0) for k in ("train", "evaluate", "states", "decoders"))


def cost_table(results: dict) -> pd.DataFrame:
    """One row per language model: its corpus, size, budget, wall time and test perplexity; for
    models trained to the dev plateau also the update of the best dev check (the weights kept) and
    why training stopped ("patience" or "cap")."""
    plateau = any("stopped" in r["train"] for r in language_models(results).values())
    return pd.DataFrame([{
        "model": name, "trained on": r["corpus"], "parameters": r["lm"]["parameters"],
        "updates": r["train"].get("updates", r["train"]["config"]["updates"]), "symbols seen": r["train"]["symbols_seen"],
        **({"best update": r["train"].get("best_update"), "stopped": r["train"].get("stopped")} if plateau else {}),
        "train s": round(r["wall_s"]["train"]), "decoders s": round(r["wall_s"]["decoders"]),
        "test perplexity": round(r["perplexity"][r["corpus"]], 3),
    } for name, r in language_models(results).items()]).set_index("model").sort_values(["trained on", "parameters"])


def learning_curves(results: dict) -> pd.DataFrame:
    """Every dev check of every language model: index (model, update); its cell, the corpus whose
    dev text it was scored on (the one it trained on), the dev perplexity and the learning rate of
    that update (models of the short setting have none and are left out)."""
    columns = ["model", "update", "cell", "corpus", "dev perplexity", "learning rate"]
    rows = [dict(zip(columns, (name, c[0], r["lm"]["cell"], r["corpus"], c[1], c[2] if len(c) > 2 else np.nan)))
            for name, r in language_models(results).items() for c in r["train"].get("dev_checks", [])
            if "stopped" in r["train"]]
    return pd.DataFrame(rows, columns=columns).set_index(["model", "update"])


def late_gain(train: dict) -> float:
    """How much a model trained to the plateau still improved at the end: 1 - (the best dev
    perplexity of its last ``patience`` checks) / (that of the check before them). At most 0 for
    a model stopped by its patience (no new best in those checks, §4's early stopping); above 0
    for one the cap stopped while its dev perplexity still fell. NaN with too few checks."""
    checks, patience = train.get("dev_checks", []), train["config"]["patience"]
    if len(checks) <= patience:
        return float("nan")
    return 1 - min(c[1] for c in checks[-patience:]) / checks[-patience - 1][1]


def corpus_table(loaded: dict) -> pd.DataFrame:
    """One row per corpus (name -> :class:`mannlib.tasks.corpus.Corpus`): segments, documents per
    split and symbols per split."""
    return pd.DataFrame([{
        "corpus": name, "segments": c.segments,
        "documents train / dev / test": " / ".join(str(len(c.documents[s])) for s in ("train", "dev", "test")),
        "symbols train": len(c.train), "symbols dev": len(c.dev), "symbols test": len(c.test),
    } for name, c in loaded.items()]).set_index("corpus")


# --- Figs. 2 and 3: size and depth -----------------------------------------------------------------
def recall_row(sig: Signature) -> dict:
    """Mean recall over δ and the marginal recall at every δ ("δ=1", "δ=2", ...)."""
    return {"mean recall": sig.marginal.mean(), **{f"δ={d}": m for d, m in zip(sig.deltas, sig.marginal)}}


def size_table(results: dict, p: Profile) -> pd.DataFrame:
    """Fig. 2: index (cell "GRU"/"LSTM", units) for the profile's cells; test perplexity on the
    domain, mean recall, recall per δ."""
    rows = []
    for cell in p.cells:
        for h in p.sizes:
            r = results[f"{p.domain}-{cell}-1x{h}"]
            rows.append({"cell": cell.upper(), "units": h, "test perplexity": r["perplexity"][p.domain],
                         **recall_row(r["signatures"]["layer1"])})
    return pd.DataFrame(rows).set_index(["cell", "units"])


def depth_table(results: dict, p: Profile) -> pd.DataFrame:
    """Fig. 3: index (cell, layer 1..L) of the deep domain models; mean recall and recall per δ."""
    layers, hidden = p.deep
    rows = [{"cell": cell.upper(), "layer": l,
             **recall_row(results[f"{p.domain}-{cell}-{layers}x{hidden}"]["signatures"][f"layer{l}"])}
            for cell in p.cells for l in range(1, layers + 1)]
    return pd.DataFrame(rows).set_index(["cell", "layer"])


def deep_perplexity(results: dict, p: Profile) -> dict[str, float]:
    """Cell -> test perplexity on the domain of the deep model of Fig. 3."""
    layers, hidden = p.deep
    return {cell: results[f"{p.domain}-{cell}-{layers}x{hidden}"]["perplexity"][p.domain] for cell in p.cells}


def perplexity_drop(sizes: pd.DataFrame, cell: str) -> float:
    """1 - (perplexity of the largest model) / (that of the smallest), for ``cell`` of
    :func:`size_table` (§5: "decreased the test perplexity ... by 15%")."""
    ppl = sizes.loc[cell.upper(), "test perplexity"]
    return 1 - ppl.iloc[-1] / ppl.iloc[0]


def strictly(values, direction: str) -> str:
    """"yes" if ``values`` rise ("up") or fall ("down") at every step, else "not strictly"."""
    steps = np.diff(np.asarray(values))
    return "yes" if np.all(steps > 0 if direction == "up" else steps < 0) else "not strictly"


def lstm_minus_gru(sizes: pd.DataFrame) -> pd.Series:
    """Per size, the LSTM's mean recall minus the GRU's (§5: "the GRU exhibits slightly worse recall");
    ``sizes`` must hold both cells."""
    return sizes.loc["LSTM", "mean recall"] - sizes.loc["GRU", "mean recall"]


# --- Fig. 4: adaptation ----------------------------------------------------------------------------
def fig4_titles(p: Profile) -> dict[str, str]:
    """Panel -> title of Fig. 4 ("c. news" for the Lee corpus, "c. BBC News" for BBC; b says the
    adaptation fraction, §6's 5% by default)."""
    label = DOMAIN_LABELS.get(p.domain, p.domain)
    return {"a": "a. Shakespeare", "b": f"b. Shakespeare, retrained on {percent(p.finetune_fraction)}% {label}",
            "c": f"c. {label}"}


def fig4_signatures(results: dict, p: Profile) -> tuple[dict, dict]:
    """Fig. 4's three LSTMs: (panel title -> layer-1 signature, panel title -> test perplexity on the domain)."""
    titles = fig4_titles(p)
    names = {titles[k]: v for k, v in fig4_units(p).items()}
    return ({t: results[n]["signatures"]["layer1"] for t, n in names.items()},
            {t: results[n]["perplexity"][p.domain] for t, n in names.items()})


def distance_matrix(sigs: dict, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """Every pair's :func:`~mannlib.methods.signatures.signature_distance`, rows and columns named
    by the part of each key before its first "." ("a. Shakespeare" -> "a")."""
    names = list(sigs)
    short = [n.split(".")[0] for n in names]
    return pd.DataFrame([[signature_distance(sigs[a], sigs[b], min_count) for b in names] for a in names],
                        index=short, columns=short)


def closest_pair(dist: pd.DataFrame) -> tuple[str, str]:
    """The two different signatures of a :func:`distance_matrix` that are closest (first pair on a tie)."""
    pairs = {(a, b): dist.loc[a, b] for i, a in enumerate(dist.index) for b in dist.index[i + 1:]}
    return min(pairs, key=pairs.get)


# --- Fig. 5: the RNN against the n-gram ------------------------------------------------------------
def recall_difference(a: Signature, b: Signature, min_count: int = MIN_COUNT) -> np.ndarray:
    """(δ, symbol) recall of ``a`` minus that of ``b``, NaN where either is thinly supported."""
    return reliable(a, min_count) - reliable(b, min_count)


def better_deltas(a: Signature, b: Signature) -> list[int]:
    """The distances δ at which ``a``'s marginal recall is strictly above ``b``'s."""
    return [int(d) for d in a.deltas if a.marginal[d - 1] > b.marginal[d - 1]]


def difference_counts(diff: np.ndarray, margin: float = 0.05) -> dict[str, int]:
    """Cells of a :func:`recall_difference` above ``margin`` ("first"), below -``margin``
    ("second"), and with a value at all ("cells")."""
    return {"first": int(np.nansum(diff > margin)), "second": int(np.nansum(diff < -margin)),
            "cells": int(np.sum(~np.isnan(diff)))}


# --- exercises -------------------------------------------------------------------------------------
def space_floor(sig: Signature) -> np.ndarray:
    """Per δ, the share of test positions whose input δ back is a space: the marginal recall of a
    decoder that always names the most frequent symbol (Exercise 1)."""
    return sig.count[:, corpora.SYMBOLS.index(" ")] / sig.count.sum(axis=1)


def memory_span(sig: Signature, margin: float = SPAN_MARGIN) -> int:
    """The number of leading distances δ = 1, 2, ... at which the marginal recall beats
    :func:`space_floor` by more than ``margin`` (Exercise 2)."""
    return int(np.cumprod(sig.marginal - space_floor(sig) > margin).sum())
