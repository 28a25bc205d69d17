"""The numbers the chapter's prose quotes, as text ready for glue.

Each function returns one section's values, keyed by the glue name without the chapter's prefix
(the notebook glues them with ``glue_values("sig_", ...)``: ``fig1_rho`` becomes ``sig_fig1_rho``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...methods.signatures import Signature, perplexity_gap_ratio
from ..base import pct
from .analysis import (CELLS, DOMAIN_LABELS, better_deltas, closest_pair, difference_counts, language_models, lstm_minus_gru,
                       perplexity_drop, recall_forward_correlation, strictly, unit_cost)
from .settings import PLATEAU, PLATEAU_PROFILES, Profile

FIG1_SYMBOLS = "qyke."   # §4's examples: 'q' poorly predicted but well remembered, 'y' the reverse; 'k', 'e', '.'


def corpus_values(loaded: dict) -> dict[str, str]:
    """The corpora section: segments, the test plays, articles and news training symbols."""
    shakes, news = loaded["shakespeare"], loaded["news"]
    return {"shakes_segments": f"{shakes.segments:,}", "shakes_test_plays": ", ".join(shakes.documents["test"]),
            "news_articles": f"{news.segments:,}", "news_train_symbols": f"{len(news.train):,}"}


def cost_values(results: dict, p: Profile) -> dict[str, str]:
    """The models section: the training budget, the decoders, the test positions and the total cost."""
    values = {"decoder_hidden": str(p.decoder.hidden), "updates": str(p.lm.updates), "batch": str(p.lm.batch),
              "bptt": str(p.lm.bptt), "dropouts": ", ".join(f"{d:.1f}" for d in p.decoder.dropouts)}
    for corpus, key in ((p.domain, "news"), ("shakespeare", "shakes")):
        sig = results[f"{corpus}-gru-1x{p.main}"]["signatures"]["layer1"]
        values[f"test_positions_{key}"] = f"{sig.extra['test_positions']:,}"
    values["total_minutes"] = f"{sum(unit_cost(r) for r in results.values()) / 60:.0f}"
    return values


def symbol_text(row: pd.Series) -> str:
    """One row of :func:`~.analysis.symbol_table` in words: recall and forward accuracy with their ranks."""
    if np.isnan(row["mean recall over δ"]) or np.isnan(row["forward accuracy"]):
        return "too rare in our test text to say"
    return (f"recall {pct(row['mean recall over δ'], 0)} (rank {row['recall rank']:.0f}), "
            f"forward {pct(row['forward accuracy'], 0)} (rank {row['forward rank']:.0f})")


def fig1_values(sig: Signature, table: pd.DataFrame) -> dict[str, str]:
    """Fig. 1: recall at the first and last δ, the recall-forward rank correlation, §4's examples."""
    rho, n = recall_forward_correlation(table)
    values = {"fig1_rho": f"{rho:.2f}", "fig1_symbols": str(n), "fig1_delta1": pct(sig.marginal[0], 1),
              "fig1_deltamax": pct(sig.marginal[-1], 1), "delta": str(len(sig.marginal))}
    for sym in FIG1_SYMBOLS:
        values[f"fig1_{'dot' if sym == '.' else sym}"] = symbol_text(table.loc[sym])
    return values


def fig2_values(sizes: pd.DataFrame, p: Profile) -> dict[str, str]:
    """Fig. 2: the perplexity drop and mean recall per size of each cell, and the LSTM's lead."""
    values = {}
    for cell in CELLS:
        recall = sizes.loc[cell.upper(), "mean recall"]
        values[f"fig2_ppl_drop_{cell}"] = pct(perplexity_drop(sizes, cell), 1)
        values[f"fig2_recall_up_{cell}"] = strictly(recall, "up")
        values[f"fig2_recall_{cell}"] = " → ".join(pct(v, 1) for v in recall)
    gap = lstm_minus_gru(sizes)
    values |= {"fig2_gap": f"{100 * np.mean(gap):+.1f} points", "fig2_gap_sizes": str(int((gap > 0).sum())),
               "n_sizes": str(len(p.sizes)), "sizes": ", ".join(map(str, p.sizes))}
    return values


def fig3_values(depth: pd.DataFrame, p: Profile) -> dict[str, str]:
    """Fig. 3: mean recall from layer 1 to the last, per cell, and whether it falls at every layer."""
    values = {}
    for cell in CELLS:
        means = depth.loc[cell.upper(), "mean recall"]
        values[f"fig3_{cell}"] = " → ".join(pct(v, 1) for v in means)
        values[f"fig3_down_{cell}"] = strictly(means, "down")
    layers, hidden = p.deep
    return values | {"deep": f"[{layers}, {hidden}]", "deep_layers": str(layers)}


def fig4_values(dist: pd.DataFrame, ppl: dict, p: Profile, news_train_symbols: int) -> dict[str, str]:
    """Fig. 4: the signature distances, the three news perplexities and their gap ratio (§6)."""
    pa, pb, pc = ppl.values()
    ratio = perplexity_gap_ratio(pa, pb, pc)
    closest = closest_pair(dist)
    return {"fig4_closest": f"{closest[0]} and {closest[1]}", "fig4_d_ab": f"{dist.loc['a', 'b']:.3f}",
            "fig4_d_bc": f"{dist.loc['b', 'c']:.3f}", "fig4_d_ac": f"{dist.loc['a', 'c']:.3f}",
            "fig4_ppl": f"{pa:.3f}, {pb:.3f} and {pc:.3f}",
            "fig4_ratio": f"{ratio:.1f}" if np.isfinite(ratio) else f"undefined (the retrained model beats the {DOMAIN_LABELS.get(p.domain, p.domain)} model)",
            "fig4_diffs": f"{pb:.3f} − {pc:.3f} = {pb - pc:.3f} against {pa:.3f} − {pb:.3f} = {pa - pb:.3f}",
            "fig4_ft_symbols": f"{int(news_train_symbols * p.finetune_fraction):,}"}


def fig5_values(gru: Signature, ngram: Signature, diff: np.ndarray) -> dict[str, str]:
    """Fig. 5: where the GRU beats the n-gram, the n-gram's mean state length, cells either way."""
    counts = difference_counts(diff)
    return {"fig5_gru_better": ", ".join(map(str, better_deltas(gru, ngram))) or "none",
            "fig5_state_len": f"{ngram.extra['mean_state_length']:.2f}", "fig5_red": str(counts["first"]),
            "fig5_blue": str(counts["second"]), "fig5_cells": str(counts["cells"])}


def budget_values(results: dict, p: Profile) -> dict[str, str]:
    """What we could not match: the news perplexities, the symbols each model saw, the decoders' steps."""
    lms = [r for r in language_models(results).values() if r["corpus"] == p.domain and not r["parent"]]
    news_ppl = [r["perplexity"][p.domain] for r in lms]
    seen = (f"{p.lm.updates * p.lm.batch * p.lm.bptt:,}" if p.trained == "short" else
            f"{min(r['train']['symbols_seen'] for r in lms):,} to {max(r['train']['symbols_seen'] for r in lms):,}")
    return {"ppl_range": f"{min(news_ppl):.2f} to {max(news_ppl):.2f}", "symbols_seen": seen,
            "decoder_steps": f"{p.decoder.steps} × {p.decoder.batch}"}


def setting_values(p: Profile) -> dict[str, str]:
    """The training setting this page reads, in one sentence, and the plateau setting's dev check,
    patience and cap (:data:`~.settings.PLATEAU`), for the prose."""
    q = PLATEAU_PROFILES["paper"]
    plateau = (f"until the development perplexity stops improving (a check on {PLATEAU['eval_chars']:,} dev symbols "
               f"every {PLATEAU['eval_every']} updates; the learning rate halves at every check without a new best, "
               f"and {PLATEAU['patience']} such checks in a row stop training; at most {PLATEAU['cap']:,} updates), "
               f"on the BBC News corpus as the second domain, with decoders as large as the paper's rule "
               f"(at least as many parameters as the kernel and input projection they read)")
    if p.trained == "short":
        text = (f"This page reads the *short* setting: every model trained for a fixed {p.lm.updates} updates. A second "
                f"setting, `trained = \"plateau\"`, trains every model {plateau}; it is prepared in "
                "`mannlib.chapters.memory_signatures.settings` and its results are not yet committed.")
    else:
        text = f"This page reads the *plateau* setting: every model trained {plateau}."
    return {"setting": p.trained, "setting_text": text, "plateau_patience": str(PLATEAU["patience"]),
            "plateau_every": str(PLATEAU["eval_every"]), "plateau_cap": f"{PLATEAU['cap']:,}",
            "plateau_decoder_steps": f"{q.decoder.steps} × {q.decoder.batch}"}
