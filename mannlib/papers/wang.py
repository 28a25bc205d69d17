"""Wang et al. 2019, *Understanding Memory Modules on Learning Simple Algorithms*: the settings
and the numbers the paper reports, typed once, each cited by section or figure.

The mirror chapter (:mod:`mannlib.chapters.mirror`, §3.2) and the M10AE chapter
(:mod:`mannlib.chapters.m10ae`, §3.3) quote these; what we chose where the paper is silent, and
our thresholds for a verdict, live in the chapters.
"""
from __future__ import annotations

PAPER = "Wang et al. 2019"

# --- §3.1 "Experimental settings" ----------------------------------------------------------------
LEARNING_RATES = (1e-3, 1e-4)       # "the learning rate is chosen from [0.001, 0.0001]"
BATCH_SIZES = (32, 64, 128, 256)    # "the batch size is chosen from [32, 64, 128, 256]"
GRID = {"lr": LEARNING_RATES, "batch_size": BATCH_SIZES}   # "tuned on a development set" (Adam)
CONTROLLER = 100                    # "The controller dimension is 100"
MIRROR_CELLS = 20                   # mirror: "Both the number N of and size M of memory cells are 20"
MIRROR_WIDTH = 20
M10AE_SIZE = 100                    # M10AE: embeddings, memory cells and controller of size 100 ...
M10AE_CELLS = (5, 10, 20)           # ... and the number N of cells chosen from these

# --- §3.2 mirror ---------------------------------------------------------------------------------
MIRROR_TRAIN_MAX = 5    # "The maximum length of input sequence is 5 during the training stage"
MIRROR_TEST_MAX = 10    # "... and extended to 10 when testing"
MIRROR_ANALYSIS_N = 500  # §3.2 "Analysis": 500 samples whose vectors are the codes of 1..9

# --- §3.3 M10AE ----------------------------------------------------------------------------------
M10AE_TRAIN_MAX_LPO = 14   # "The maximum #LPO is 14 for training ..."
M10AE_TEST_MAX_LPO = 20    # "... and 20 for validation"
M10AE_TRAIN_EXAMPLES = 80_000   # "80 and 20 thousand examples are generated for training and
M10AE_VALID_EXAMPLES = 20_000   # validation respectively"
M10AE_ANALYSIS_N = 500     # §3.3 "Analysis": 500 expressions N0 L0 N1 H0 N2 H1 N3 L1 N4
PUSH_AT_LOW = 0            # Fig. 6b: at + and -, "the push probability goes to zero ...
POPS_AT_LOW = 3            # ... and the expectation of pop times rise up sharply to around 3"

# --- what the paper reports for each claim the chapters check (the scorecard's "paper says") -----
PLOT = "a plot; no number in the text"      # Figs. 2, 3, 5, 6a and 7 give curves, not numbers
CLUSTERS = "t-SNE maps with clear clusters (visual)"   # Fig. 4
MIRROR_SAYS = {k: PLOT for k in ("generalise_sann", "generalise_tann", "baselines", "converge",
                                 "delimiter", "policy")} | {"hypothesis_tann": CLUSTERS, "hypothesis_sann": CLUSTERS}
M10AE_SAYS = ({k: PLOT for k in ("generalise", "memory", "srnn", "converge", "gates", "stack", "generalise_long",
                                 "srnn_long")}
              | {"policy": f"P(PUSH) about {PUSH_AT_LOW} and about {POPS_AT_LOW} pops at + and -",
                 "algorithm": "pseudo-code, traced in Fig. 8",                        # §3.3 pseudo-code
                 "tsne": "clear clusters in 9a, 9b; chaotic labels in 9c (visual)"})   # Fig. 9
