"""The chapter's settings: the two profiles, the two ways of training, the units they train, and
where results go.

A **profile** fixes the scale of everything :func:`~.pipeline.reproduce` trains; a **unit** is one
job of it: a language model (or the n-gram baseline) and its signatures, written to
``results_dir(profile, trained) / "<unit name>.json"``. The paper's sizes come from
:mod:`mannlib.papers.koppula` (Figs. 2-5).

**trained** says how the language models are trained and decoded:

* ``"short"`` (results in data/signatures; the book's setting until the plateau results were
  committed): a fixed 300 updates, the Lee news corpus in the paper's WSJ roles, decoders of 128
  ReLU units;
* ``"plateau"`` (results in data/signatures/plateau): until the dev perplexity stops improving
  (§4: "dev93 for development and early stopping"), with the patience and cap of :data:`PLATEAU`,
  the BBC News corpus in the WSJ roles (its 5% is an adaptation set of the paper's size, §6), and
  decoders as large as §4's rule (:func:`~mannlib.methods.signatures.rule_width`);
* ``"plateau-6k"`` (results in data/signatures/plateau-6k; what the book reads): the same with twice
  the cap (:data:`PLATEAU_CAPS`), since every large model of "plateau" stopped at its cap.

:data:`TRAINED` is what the book reads: "plateau-6k". All settings keep only the weights of models
under a million parameters (and those a retrained model starts from): data/ stays under 80 MB, and
the results of the larger ones are stored; retraining brings their weights back. The committed "plateau" results keep no weights at all (the
book reads plateau-6k; "plateau" only for the cap comparison, which needs the results alone).
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ...engine.paths import DATA, runs_dir
from ...methods.signatures import DecoderConfig, SignatureError
from ...models.charlm import TrainConfig
from ...papers import koppula as K
from ..base import subset


TRAININGS = ("short", "plateau", "plateau-6k")
TRAINED = "plateau-6k"   # the setting the chapter reads by default ("short": the 300-update models)


@dataclass
class Profile:
    """Everything :func:`~.pipeline.reproduce` trains, at one scale, in one setting."""
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
    trained: str = "short"                 # "short": ``lm.updates`` updates; "plateau": to the dev plateau
    domain: str = "news"                   # the corpus in the paper's WSJ roles (Figs. 2-5)
    decoder_scales: tuple = ()             # (): decoders of ``decoder.hidden`` units; else multiples of the width of
                                           # §4's rule, the best per model on dev (one value: the rule alone)
    min_adaptation_sentences: int = 0      # Fig. 4 is "not testable" with fewer full stops in the adaptation set
                                           # (0: no such check, as the short setting was judged)
    keep_weights_below: int | None = None  # delete a finished unit's weights if it has more parameters (data/ < 80 MB)
    name: str = "paper"                    # the profile this is ("paper" / "quick"), or was made from by settings()
    cells: tuple = ("gru", "lstm")         # the cells whose sizes and depths Figs. 2 and 3 compare


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
        eval_symbols=200_000, keep_weights_below=1_000_000),
    # The same structure, tiny: every figure is drawn in about a minute, and means nothing.
    "quick": Profile(
        name="quick", sizes=(16, 32), deep=(2, 16), main=32,
        lm=TrainConfig(updates=60, batch=16, bptt=32, lr=1e-2, warmup=0.1),
        deep_lm=TrainConfig(updates=60, batch=16, bptt=32, lr=1e-2, warmup=0.0),
        finetune=TrainConfig(updates=10, batch=16, bptt=32, lr=3e-3, warmup=0.0, eval_every=5, eval_chars=2000),
        finetune_fraction=K.ADAPTATION_FRACTION,
        decoder=DecoderConfig(max_delta=10, hidden=32, steps=80, lr=1e-2, dropouts=(0.0, 0.5)),
        windows={"train": (8, 150), "dev": (4, 150), "test": (8, 150)}, warmup=10,
        eval_symbols=5000),
}


# --- the plateau setting ---------------------------------------------------------------------------
# Koppula §6: 5% of WSJ SI-284's 37k segments, about 1,850 sentences. The adaptation set must hold at
# least half as many (counted as full stops) for Fig. 4 to be tested at the paper's ratio: 5% of
# BBC News has about 1,800, 5% of the Lee corpus about 120 (15k symbols, a dozen articles).
MIN_ADAPTATION_SENTENCES = round(K.ADAPTATION_FRACTION * K.WSJ_SEGMENTS / 2)   # 925

PLATEAU = {  # the dev check, patience and cap of every plateau LM, quoted by the chapter
    "eval_every": 200,      # updates between dev checks (409,600 symbols)
    "eval_chars": 60_000,   # dev symbols per check
    "patience": 4,          # checks in a row without a new best dev perplexity stop training
    "decay": 0.5,           # the learning rate halves at every check without a new best
    "cap": 3_000,           # updates at most in the "plateau" setting (6.1M symbols, 1.7 passes over BBC's training text)
}
# The plateau settings differ only in their cap: every model of "plateau" stopped at 3,000 updates with
# its dev perplexity still falling, so "plateau-6k" trains the same models with twice the cap (12.3M
# symbols, 3.4 passes). Each keeps its models and results in a folder of its own (data/signatures/<name>).
PLATEAU_CAPS = {"plateau": PLATEAU["cap"], "plateau-6k": 6_000}


def _plateau_profiles(trained: str, cap: int) -> dict:
    """The paper and quick profiles of the plateau setting ``trained``, whose models train at most
    ``cap`` updates (the quick profile's tiny models keep their own cap)."""
    plateau = {k: PLATEAU[k] for k in ("eval_every", "eval_chars", "patience", "decay")}
    return {
        "paper": Profile(
            sizes=K.SIZES, deep=K.DEEP, main=320,
            lm=TrainConfig(updates=cap, batch=32, bptt=64, lr=3e-3, warmup=0.03, **plateau),
            deep_lm=TrainConfig(updates=cap, batch=32, bptt=64, lr=2e-3, warmup=0.03, **plateau),
            # 5% of BBC's training text is 180k symbols, 88 updates a pass: a dev check every 40
            finetune=TrainConfig(updates=1_000, batch=32, bptt=64, lr=1e-3, warmup=0.0, **{**plateau, "eval_every": 40}),
            finetune_fraction=K.ADAPTATION_FRACTION,
            decoder=DecoderConfig(max_delta=10, hidden=128, steps=200, batch=512, lr=3e-3),
            windows={"train": (80, 520), "dev": (16, 520), "test": (100, 1000)}, warmup=20,
            eval_symbols=200_000, trained=trained, domain="bbc", decoder_scales=(1.0,),
            min_adaptation_sentences=MIN_ADAPTATION_SENTENCES, keep_weights_below=1_000_000),
        "quick": Profile(
            name="quick", sizes=(16, 32), deep=(2, 16), main=32,
            lm=TrainConfig(updates=60, batch=16, bptt=32, lr=1e-2, warmup=0.1, eval_every=10, eval_chars=2000, patience=2),
            deep_lm=TrainConfig(updates=60, batch=16, bptt=32, lr=1e-2, warmup=0.0, eval_every=10, eval_chars=2000,
                                patience=2),
            finetune=TrainConfig(updates=20, batch=16, bptt=32, lr=3e-3, warmup=0.0, eval_every=5, eval_chars=2000,
                                 patience=2),
            finetune_fraction=K.ADAPTATION_FRACTION,
            decoder=DecoderConfig(max_delta=10, hidden=32, steps=80, lr=1e-2, dropouts=(0.0, 0.5)),
            windows={"train": (8, 150), "dev": (4, 150), "test": (8, 150)}, warmup=10,
            eval_symbols=5000, trained=trained, domain="bbc", decoder_scales=(0.25, 1.0),
            min_adaptation_sentences=MIN_ADAPTATION_SENTENCES),
    }


SETTINGS = {"short": PROFILES, **{t: _plateau_profiles(t, cap) for t, cap in PLATEAU_CAPS.items()}}
PLATEAU_PROFILES = SETTINGS["plateau"]


def get_profile(name: str, trained: str | None = None) -> Profile:
    """The profile ``name`` of the setting ``trained`` (default :data:`TRAINED`); SignatureError
    naming the profiles or settings for an unknown one."""
    trained = TRAINED if trained is None else trained
    if trained not in SETTINGS:
        raise SignatureError(f"unknown setting trained={trained!r}; choose one of {', '.join(TRAININGS)}")
    if name not in SETTINGS[trained]:
        raise SignatureError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return SETTINGS[trained][name]


def resolve(profile, trained: str | None = None) -> Profile:
    """``profile`` itself when it is a :class:`Profile` (one of :func:`settings`), else
    :func:`get_profile` of the name ``profile`` in the setting ``trained``."""
    if isinstance(profile, Profile):
        if trained is not None and trained != profile.trained:
            raise SignatureError(f"the profile is of the {profile.trained!r} setting, not trained={trained!r}")
        return profile
    return get_profile(profile, trained)


# --- the chapter's parameters (the notebook's parameters cell, ``reproduce signatures --set``) ------------------
CELLS = ("gru", "lstm")
DOMAINS = ("news", "bbc")    # the corpora that can stand in for the paper's WSJ (Figs. 2-5)


def settings(profile: str = "paper", trained: str | None = None, sizes=None, deep_layers: int | None = None,
             deep_hidden: int | None = None, main: int | None = None, cells=None, delta: int | None = None,
             decoder_hidden: int | None = None, decoder_scales=None, dropouts=None, adaptation: float | None = None,
             domain: str | None = None) -> Profile:
    """The profile ``profile`` of the setting ``trained`` with the chapter's parameters changed;
    ``None`` keeps the setting's value, so with no parameter it is :func:`get_profile`'s own.

    ``sizes``: the 1-layer state sizes of Fig. 2 (at least two); ``deep_layers``, ``deep_hidden``:
    the stacked model of Fig. 3; ``main``: the 1-layer size of Figs. 1, 4 and 5; ``cells``: the
    cells Figs. 2 and 3 compare (Fig. 1 and 5 keep a GRU, Fig. 4 LSTMs); ``delta``: Δ, the
    farthest δ decoded; ``decoder_hidden``: decoders of that many ReLU units, or
    ``decoder_scales``: multiples of the width of §4's sizing rule, the best per model on dev
    (one of the two); ``dropouts``: the dropout rates swept per δ (§4: 0.0-0.5); ``adaptation``:
    the fraction of the domain's training text Fig. 4b retrains on (§6: 0.05); ``domain``: the
    corpus in WSJ's roles. A unit's name says its corpus, cell, size and adaptation fraction, and
    decoders other than the setting's write their results into a folder of their own
    (:func:`results_dir`), so no two settings share a result. A bad value raises SignatureError
    (a ValueError) naming what is allowed."""
    p = get_profile(profile, trained)
    changes = {}
    if sizes is not None:
        sizes = _ints("sizes", [sizes] if isinstance(sizes, int) else sizes, 1)
        if len(set(sizes)) < 2:
            raise SignatureError(f"sizes must list at least two state sizes (Fig. 2 compares them), got {list(sizes)}")
        changes["sizes"] = tuple(sorted(set(sizes)))
    if deep_layers is not None or deep_hidden is not None:
        changes["deep"] = (_int("deep_layers", p.deep[0] if deep_layers is None else deep_layers, 2),
                           _int("deep_hidden", p.deep[1] if deep_hidden is None else deep_hidden, 1))
    if main is not None:
        changes["main"] = _int("main", main, 1)
    if cells is not None:
        changes["cells"] = _subset(cells, CELLS, "cell")
    decoder = {}
    if delta is not None:
        decoder["max_delta"] = _int("delta", delta, 2)
    if decoder_hidden is not None and decoder_scales is not None:
        raise SignatureError("give decoder_hidden (fixed units) or decoder_scales (multiples of §4's rule), not both")
    if decoder_hidden is not None:
        decoder["hidden"], changes["decoder_scales"] = _int("decoder_hidden", decoder_hidden, 1), ()
    if decoder_scales is not None:
        scales = [decoder_scales] if isinstance(decoder_scales, (int, float)) else list(decoder_scales)
        if not scales or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in scales):
            raise SignatureError(f"decoder_scales must be positive multiples of §4's rule width, got {scales!r}")
        changes["decoder_scales"] = tuple(sorted({float(x) for x in scales}))
    if dropouts is not None:
        rates = [dropouts] if isinstance(dropouts, (int, float)) else list(dropouts)
        if not rates or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x < 1 for x in rates):
            raise SignatureError(f"dropouts must be dropout rates in [0, 1) (§4: 0.0 to 0.5), got {rates!r}")
        decoder["dropouts"] = tuple(sorted({float(x) for x in rates}))
    if decoder:
        changes["decoder"] = replace(p.decoder, **decoder)
    if adaptation is not None:
        if isinstance(adaptation, bool) or not isinstance(adaptation, (int, float)) or not 0 < adaptation <= 1:
            raise SignatureError(f"adaptation must be a fraction in (0, 1] of the domain's training text, got {adaptation!r}")
        changes["finetune_fraction"] = float(adaptation)
    if domain is not None:
        if domain not in DOMAINS:
            raise SignatureError(f"unknown domain {domain!r}; choose one of {', '.join(DOMAINS)}")
        changes["domain"] = domain
    if all(getattr(p, k) == v for k, v in changes.items()):
        return p
    return replace(p, **changes)


def _int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SignatureError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


def _ints(name: str, values, minimum: int) -> tuple:
    values = tuple(values)
    for v in values:
        _int(f"every one of {name}", v, minimum)
    return values


def _subset(values, allowed: tuple, what: str) -> tuple:
    try:
        return subset(values, allowed, what)
    except ValueError as e:
        raise SignatureError(str(e)) from None


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


def units(profile, trained: str | None = None) -> list[Unit]:
    """The runs behind Figs. 1-5 (``profile``: a name, or a :class:`Profile` of :func:`settings`).
    Figs. 2, 3 and 5 use the profile's ``domain`` (the paper's WSJ: the Lee news corpus when short,
    BBC News on the plateau), Fig. 1 Shakespeare; the three LSTMs of Fig. 4 are all decoded and
    scored on the domain. Figs. 4c and 5 need the domain's LSTM and GRU of ``main`` units, whatever
    ``sizes`` and ``cells`` are."""
    p = resolve(profile, trained)
    d = p.domain
    out = [Unit(f"{d}-{c}-1x{h}", d, d, c, 1, h) for c in p.cells for h in p.sizes]
    out += [Unit(f"{d}-{c}-{p.deep[0]}x{p.deep[1]}", d, d, c, *p.deep) for c in p.cells]
    out += [Unit(f"{d}-{c}-1x{p.main}", d, d, c, 1, p.main) for c in CELLS
            if not (c in p.cells and p.main in p.sizes)]
    out += [Unit(f"shakespeare-gru-1x{p.main}", "shakespeare", "shakespeare", "gru", 1, p.main),
            Unit(fig4_units(p)["a"], "shakespeare", d, "lstm", 1, p.main, perplexity_on=(d,)),
            Unit(fig4_units(p)["b"], d, d, "lstm", 1, p.main, parent=fig4_units(p)["a"]),
            Unit(f"ngram{p.ngram_order}-{d}", d, d)]
    return out


def fig4_units(p: Profile) -> dict[str, str]:
    """Fig. 4's three 1-layer LSTMs, by panel: (a) Shakespeare, (b) it retrained on the first
    ``finetune_fraction`` of the domain's training text (the name ends in the percentage: "news5"
    for §6's 5%), (c) the domain."""
    return {"a": f"shakespeare-lstm-1x{p.main}", "b": f"shakespeare-lstm-1x{p.main}-{p.domain}{percent(p.finetune_fraction)}",
            "c": f"{p.domain}-lstm-1x{p.main}"}


def percent(fraction: float) -> str:
    """0.05 -> "5", 0.025 -> "2.5": a fraction as a percentage without trailing zeros."""
    return f"{100 * fraction:.10g}"


# --- where results go ----------------------------------------------------------------------------------
def models_dir(profile, trained: str | None = None) -> Path:
    """The setting's folder: its language models (``models/``, ``checkpoints/``), shared by every
    decoding of them, and the results of the setting's own decoders. data/signatures for "paper"
    (data/signatures/plateau for the plateau setting); for "quick" a scratch folder under the run
    cache, and never inside data/ (the temporary directory when the run cache is data/runs)."""
    p = resolve(profile, trained)
    sub = "" if p.trained == "short" else p.trained
    if p.name == "paper":
        return DATA / "signatures" / sub if sub else DATA / "signatures"
    runs = runs_dir().resolve()
    if runs == DATA.resolve() or DATA.resolve() in runs.parents:
        runs = Path(tempfile.gettempdir()) / "mannlib-quick-runs"
    return runs / f"signatures-{p.name}" if not sub else runs / f"signatures-{p.name}-{sub}"


def decoding(p: Profile) -> dict:
    """Everything that turns a trained model into its result, besides the model: the decoders, the
    state windows, the test symbols scored and the n-gram's order."""
    return {"decoder": {**asdict(p.decoder), "dropouts": list(p.decoder.dropouts)},
            "decoder_scales": list(p.decoder_scales), "windows": {k: list(v) for k, v in p.windows.items()},
            "warmup": p.warmup, "eval_symbols": p.eval_symbols, "ngram_order": p.ngram_order}


def decoding_tag(p: Profile) -> str | None:
    """None for the setting's own decoding; else the folder of this one: Δ, the decoder width (or
    the rule's scales) and a hash of :func:`decoding` ("decoders-D12-h128-1a2b3c4d")."""
    spec = decoding(p)
    if spec == decoding(get_profile(p.name, p.trained)):
        return None
    width = ("rule" + "+".join(f"{s:g}" for s in p.decoder_scales)) if p.decoder_scales else f"h{p.decoder.hidden}"
    digest = hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
    return f"decoders-D{p.decoder.max_delta}-{width}-{digest}"


def results_dir(profile, trained: str | None = None) -> Path:
    """Where the units' results (``<unit name>.json``) go: :func:`models_dir`, or a folder of
    :func:`decoding_tag` inside it when the decoders are not the setting's own."""
    p = resolve(profile, trained)
    tag = decoding_tag(p)
    return models_dir(p) if tag is None else models_dir(p) / tag
