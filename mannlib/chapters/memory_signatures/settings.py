"""The chapter's settings: the two profiles, the units they train, and where results go.

A **profile** fixes the scale of everything :func:`~.pipeline.reproduce` trains; a **unit** is one
job of it: a language model (or the n-gram baseline) and its signatures, written to
``results_dir(profile) / "<unit name>.json"``. The paper's sizes come from
:mod:`mannlib.papers.koppula` (Figs. 2-5); the training budget is ours (§4 trains to early
stopping, on hardware it does not name).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...engine.paths import DATA, runs_dir
from ...methods.signatures import DecoderConfig, SignatureError
from ...models.charlm import TrainConfig
from ...papers import koppula as K


@dataclass
class Profile:
    """Everything :func:`~.pipeline.reproduce` trains, at one scale."""
    sizes: tuple                # kernel sizes of the 1-layer models (Fig. 2)
    deep: tuple                 # (layers, hidden) of the stacked models (Fig. 3)
    main: int                   # the 1-layer size of Figs. 1, 4 and 5
    lm: TrainConfig             # the 1-layer language models, from scratch
    deep_lm: TrainConfig        # the stacked ones (they diverge at the 1-layer learning rate)
    finetune: TrainConfig       # Fig. 4b: the Shakespeare LSTM retrained on a slice of news
    finetune_fraction: float    # that slice: the first 5% of the news training stream (§6)
    decoder: DecoderConfig
    windows: dict               # split -> (rows, length) of the state windows decoded
    warmup: int                 # first steps of each window left undecoded (the state starts at zero)
    eval_symbols: int           # test symbols scored for perplexity (at most)
    ngram_order: int = K.NGRAM_ORDER
    embed: int = 32


PROFILES = {
    # Measured to fit about half an hour of one CPU thread in all (see the chapter's cost table).
    "paper": Profile(
        sizes=K.SIZES, deep=K.DEEP, main=320,
        lm=TrainConfig(updates=300, batch=32, bptt=64, lr=1e-2, warmup=0.1),
        deep_lm=TrainConfig(updates=300, batch=32, bptt=64, lr=3e-3, warmup=0.0),
        finetune=TrainConfig(updates=100, batch=32, bptt=64, lr=3e-3, warmup=0.0, eval_every=20),
        finetune_fraction=K.ADAPTATION_FRACTION,
        decoder=DecoderConfig(max_delta=10, hidden=128, steps=200, batch=512, lr=1e-2),
        windows={"train": (40, 520), "dev": (16, 520), "test": (100, 1000)}, warmup=20,
        eval_symbols=200_000),
    # The same structure, tiny: every figure is drawn in about a minute, and means nothing.
    "quick": Profile(
        sizes=(16, 32), deep=(2, 16), main=32,
        lm=TrainConfig(updates=60, batch=16, bptt=32, lr=1e-2, warmup=0.1),
        deep_lm=TrainConfig(updates=60, batch=16, bptt=32, lr=1e-2, warmup=0.0),
        finetune=TrainConfig(updates=10, batch=16, bptt=32, lr=3e-3, warmup=0.0, eval_every=5, eval_chars=2000),
        finetune_fraction=K.ADAPTATION_FRACTION,
        decoder=DecoderConfig(max_delta=10, hidden=32, steps=80, lr=1e-2, dropouts=(0.0, 0.5)),
        windows={"train": (8, 150), "dev": (4, 150), "test": (8, 150)}, warmup=10,
        eval_symbols=5000),
}


def get_profile(name: str) -> Profile:
    """The profile ``name``; SignatureError naming the profiles for an unknown one."""
    if name not in PROFILES:
        raise SignatureError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


@dataclass(frozen=True)
class Unit:
    """One job of :func:`~.pipeline.reproduce`: a language model (or the n-gram) and its signatures."""
    name: str
    corpus: str                     # trained on
    signature_corpus: str           # whose text the decoders read
    cell: str = ""                  # "gru" / "lstm"; "" for the n-gram
    layers: int = 1
    hidden: int = 0
    parent: str | None = None       # start from this unit's weights (Fig. 4b)
    perplexity_on: tuple = ()       # corpora whose test perplexity is reported besides its own


def units(profile: str) -> list[Unit]:
    """The runs behind Figs. 1-5. Figs. 2, 3 and 5 use the news corpus (the paper's WSJ),
    Fig. 1 Shakespeare; the three LSTMs of Fig. 4 are all decoded and scored on news."""
    p = get_profile(profile)
    out = [Unit(f"news-{c}-1x{h}", "news", "news", c, 1, h) for c in ("gru", "lstm") for h in p.sizes]
    out += [Unit(f"news-{c}-{p.deep[0]}x{p.deep[1]}", "news", "news", c, *p.deep) for c in ("gru", "lstm")]
    out += [Unit(f"shakespeare-gru-1x{p.main}", "shakespeare", "shakespeare", "gru", 1, p.main),
            Unit(fig4_units(p)["a"], "shakespeare", "news", "lstm", 1, p.main, perplexity_on=("news",)),
            Unit(fig4_units(p)["b"], "news", "news", "lstm", 1, p.main, parent=fig4_units(p)["a"]),
            Unit(f"ngram{p.ngram_order}-news", "news", "news")]
    return out


def fig4_units(p: Profile) -> dict[str, str]:
    """Fig. 4's three 1-layer LSTMs, by panel: (a) Shakespeare, (b) it retrained on 5% of the
    news, (c) news."""
    return {"a": f"shakespeare-lstm-1x{p.main}", "b": f"shakespeare-lstm-1x{p.main}-news5",
            "c": f"news-lstm-1x{p.main}"}


def results_dir(profile: str) -> Path:
    """data/signatures for "paper"; for "quick" a scratch folder under the run cache, and never
    inside data/ (the temporary directory when the run cache is data/runs)."""
    get_profile(profile)
    if profile == "paper":
        return DATA / "signatures"
    runs = runs_dir().resolve()
    if runs == DATA.resolve() or DATA.resolve() in runs.parents:
        runs = Path(tempfile.gettempdir()) / "mannlib-quick-runs"
    return runs / f"signatures-{profile}"
