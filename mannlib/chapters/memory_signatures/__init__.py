"""The memory-signatures chapter (notebooks/memory_signatures.ipynb): Koppula et al. 2018.

Character language models (GRU, LSTM; news and Shakespeare) are trained, their frozen states
decoded for the input δ steps back (the method: :mod:`mannlib.methods.signatures`), and Figs. 1-5
redrawn from our runs; beyond the paper, the same decoders read the mirror chapter's memory
networks. The modules, each a function of the one before:

* :mod:`.settings`: the profiles, the chapter's parameters (:func:`~.settings.settings`), the units
  they train, where results go;
* :mod:`.pipeline`: the resumable pipeline that trains and decodes every unit (``reproduce``);
* :mod:`.plan`: what a campaign will cost before it runs (``print_plan``);
* :mod:`.mann`: the memory networks' signatures;
* :mod:`.analysis`: tidy frames and numbers from the results; :mod:`.prose`: those numbers as text;
* :mod:`.figures`: the figures; :mod:`.verdicts`: the four claims and their verdicts;
* :mod:`.record`: the quick profile's reference record.

The paper's numbers live in :mod:`mannlib.papers.koppula`.
"""
from __future__ import annotations

import functools

# The names the notebook and the tests use, re-exported (the method's too: the chapter applies it).
from ...methods.signatures import (DecoderConfig, Signature, SignatureError, StateSet, decode_states, decoder_parameters,
                                   dev_score, fit_signature, ngram_signature, perplexity_gap_ratio, read_signatures,
                                   rule_width, signature_distance, write_signatures)
from .analysis import (CELLS, DOMAIN_LABELS, LABELS, MIN_COUNT, better_deltas, closest_pair, corpus_table, cost_table,
                       deep_perplexity, depth_table, difference_counts, distance_matrix, fig4_signatures, fig4_titles,
                       forward_accuracy, language_models, late_gain, learning_curves, lstm_minus_gru, memory_span,
                       perplexity_drop, recall_difference, recall_forward_correlation, reliable, size_table,
                       space_floor, strictly, symbol_table, unit_cost)
from .figures import (adaptation, heatmap, learning_curve_figure, memory_network_recall, recall_by_layer,
                      recall_by_size, rnn_against_ngram, signature_and_forward)
from .mann import MODELS, STATES, mann_signatures, mirror_states
from .pipeline import decode_layers, drop_weights, load_results, reproduce, run_unit
from .plan import plan, print_plan, unit_minutes
from .prose import (FIG1_SYMBOLS, budget_values, cap_values, corpus_values, cost_values, curve_values, design_values,
                    fig1_values, fig2_values, fig3_values, fig4_setting_values, fig4_values, fig5_values, plateau_text,
                    setting_values, symbol_text)
from .record import reference
from .settings import (DOMAINS, MIN_ADAPTATION_SENTENCES, PLATEAU, PLATEAU_CAPS, PLATEAU_PROFILES, PROFILES, TRAINED,
                       TRAININGS, Profile, Unit, decoding_tag, fig4_units, get_profile, models_dir, percent, resolve,
                       results_dir, settings, units)
from .verdicts import (CLOSER, DECLINE, PAPER, RISE, adaptation_by_setting, adaptation_numbers, cap_table,
                       cap_verdicts, claims, judge, mean_recall, paper_says, plateau_settings)


def reproduce_all(profile: str = "paper", jobs: int = 2, dry_run: bool = False, *, trained: str | None = None,
                  sizes=None, deep_layers: int | None = None, deep_hidden: int | None = None, main: int | None = None,
                  cells=None, delta: int | None = None, decoder_hidden: int | None = None, decoder_scales=None,
                  dropouts=None, adaptation: float | None = None, domain: str | None = None) -> dict:
    """Koppula et al. 2018: language models, decoders and baselines (resumable, under
    data/signatures/<trained>, by default :data:`~.settings.TRAINED`, plateau-6k; ``trained="short"``:
    data/signatures), then, beyond the paper, the
    mirror runs' signatures. Returns name -> result of the units run now.
    ``dry_run``: train nothing, print :func:`~.plan.print_plan` instead. The keyword-only arguments
    are the chapter's parameters (the notebook's; ``reproduce signatures --set delta=15``): see
    :func:`~.settings.settings`; without them, the committed units."""
    p = settings(profile, trained, sizes=sizes, deep_layers=deep_layers, deep_hidden=deep_hidden, main=main,
                 cells=cells, delta=delta, decoder_hidden=decoder_hidden, decoder_scales=decoder_scales,
                 dropouts=dropouts, adaptation=adaptation, domain=domain)
    if dry_run:
        print_plan(p, None, jobs)
        return {}
    done = reproduce(p, jobs=jobs)
    mann_signatures(profile)
    return done


# The short setting's campaign (results under data/signatures): :func:`reproduce_all`.
reproduce_short = functools.partial(reproduce_all, trained="short")
reproduce_short.__doc__ = "The short setting's campaign (under data/signatures): reproduce_all(trained='short')."

# ``python -m mannlib reproduce signatures`` (the setting the book reads, plateau-6k) and ``signatures-short``
PIPELINES = {"signatures": reproduce_all, "signatures-short": reproduce_short}
