"""Yang 2016, *Lie Access Neural Turing Machine*: what the paper reports and the settings it
states, typed once, each cited by section or table.

The model (:mod:`mannlib.models.lantm`: Table 2's sizes), the run defaults
(:mod:`mannlib.engine.config`) and the chapter (:mod:`mannlib.chapters.lantm`) read these;
nothing here is computed from our runs.
"""
from __future__ import annotations

PAPER = "Yang 2016"

# --- Table 1: training and test sizes ------------------------------------------------------------
# task -> (training sizes, test sizes), both ends included ("1x" and "2x" of Table 3).
TABLE1 = {
    "copy": ((2, 64), (65, 128)),
    "reverse": ((2, 64), (65, 128)),
    "bigramflip": ((2, 32), (33, 64)),
    "double": ((2, 40), (41, 80)),
    "addition": ((2, 16), (17, 32)),
}

# --- Table 2: model sizes, learning rates, parameter counts --------------------------------------
# task -> model -> sizes. "lstm" is the 4 x 256 encoder-decoder baseline.
TABLE2_COLUMNS = ("hidden", "vocab", "embed", "width", "lr", "params")
TABLE2 = {task: {model: dict(zip(TABLE2_COLUMNS, row)) for model, row in rows.items()} for task, rows in {
    "copy": {"lantm-invnorm": (50, 128, 7, 20, 0.02, 26105), "lantm-softmax": (50, 128, 7, 20, 0.02, 26156),
             "lstm": (256, 128, 7, None, 0.0002, 1918222)},
    "reverse": {"lantm-invnorm": (50, 128, 7, 20, 0.02, 26105), "lantm-softmax": (50, 128, 7, 20, 0.02, 26156),
                "lstm": (256, 128, 7, None, 0.0002, 1918222)},
    "bigramflip": {"lantm-invnorm": (100, 128, 7, 20, 0.02, 70155),
                   "lantm-softmax": (100, 128, 10, 20, 0.02, 72123),
                   "lstm": (256, 128, 7, None, 0.0002, 1918222)},
    "addition": {"lantm-invnorm": (50, 14, 14, 20, 0.01, 20291), "lantm-softmax": (50, 14, 14, 20, 0.01, 20291),
                 "lstm": (256, 14, 64, None, 0.0002, 1918222)},
    "double": {"lantm-invnorm": (50, 14, 7, 20, 0.02, 18695), "lantm-softmax": (50, 14, 14, 20, 0.02, 20291),
               "lstm": (256, 14, 64, None, 0.0002, 1918222)},
}.items()}
LSTM_LAYERS = 4                        # Table 2: "4 x 256" LSTM

# --- §4, "Training and testing" -------------------------------------------------------------------
BATCH_SIZE = 32                        # "every batch has 32 instances"
EPOCH_BATCHES = 10                     # "every epoch has 10 batches"
MOMENTUM = 0.95                        # "RMSProp with momentum .95"
HALVE_AFTER_EPOCHS = 100               # LANTM: "after 100 epochs, we half the learning rate if the best
HALVE_PATIENCE_EPOCHS = 30             # error so far is not improved in 30 epochs"
LSTM_LR = 0.0002                       # "The LSTMs are trained with learning rate 0.0002, with no adjustments"
TEST_EVERY_EPOCHS = 20                 # LANTM tested every 20 epochs ...
LSTM_TEST_EVERY_EPOCHS = 200           # ... the LSTM every 200; the best test score is tabulated
TEST_BATCHES = 100                     # "100 batches of random problems"
# The author's later code (harvardnlp/lie-access-memory, train.lua; not in the paper): after
# ``decay_delay`` iterations of 10 batches the learning rate is multiplied by 0.99 at every
# progress report, i.e. every 2 iterations; xopts/*/lantm_*_largetrain.json set decay_delay 600
# (copy, reverse) or 300 (bigramFlip, double, addition), of 1,000 iterations.
AUTHOR_DECAY_RATE = 0.99
AUTHOR_DECAY_EVERY = 20                # updates (2 iterations x iter_size 10)
AUTHOR_DECAY_AFTER = {"copy": 6000, "reverse": 6000, "bigramflip": 3000, "double": 3000, "addition": 3000}
TEST_PROBLEMS = TEST_BATCHES * BATCH_SIZE

# --- §5: Table 3 -----------------------------------------------------------------------------------
# Percent, "rounded to the nearest integer": task -> model -> (1x coarse, 1x fine, 2x coarse, 2x fine).
TABLE3 = {
    "copy": {"lantm-invnorm": (100, 100, 100, 100), "lantm-softmax": (100, 100, 99, 100), "lstm": (58, 97, 0, 52)},
    "reverse": {"lantm-invnorm": (100, 100, 100, 100), "lantm-softmax": (1, 12, 0, 4), "lstm": (65, 95, 0, 44)},
    "bigramflip": {"lantm-invnorm": (100, 100, 99, 100), "lantm-softmax": (12, 40, 0, 10), "lstm": (98, 100, 4, 58)},
    "double": {"lantm-invnorm": (100, 100, 100, 100), "lantm-softmax": (100, 100, 100, 100), "lstm": (98, 100, 2, 60)},
    "addition": {"lantm-invnorm": (100, 100, 99, 100), "lantm-softmax": (17, 61, 0, 29), "lstm": (97, 100, 6, 64)},
}

# --- §5: Table 4 -----------------------------------------------------------------------------------
# LANTM-InvNorm, percent: task -> factor n -> (n x coarse, n x fine); blank cells omitted.
TABLE4 = {
    "copy": {4: (100, 100), 5: (91, 100)},
    "reverse": {4: (91, 98), 5: (12, 65)},
    "bigramflip": {4: (96, 100), 8: (12, 96)},
    "double": {4: (86, 99), 8: (21, 90)},
    "addition": {4: (2, 95)},
}
TABLE4_FACTORS = (4, 5, 8)             # Table 4's columns: 4x, 5x, 8x the training maximum

# --- §5: the text -----------------------------------------------------------------------------------
ADDITION_SAMPLES = 160_000             # addition learned "from about 0.16 million samples" (5,000 batches of 32)
