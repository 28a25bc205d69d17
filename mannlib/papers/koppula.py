"""Koppula, Sim and Chin 2018, *Understanding recurrent neural state using memory signatures*:
what the paper reports and the settings it states, typed once, each cited by section or figure.

The chapter (:mod:`mannlib.chapters.memory_signatures`) and the method
(:mod:`mannlib.methods.signatures`) read these; nothing here is computed.
"""
from __future__ import annotations

PAPER = "Koppula et al. 2018"

# --- §4: the method and the data -------------------------------------------------------------------
SYMBOLS = "[a-z .,#']"                 # §4: the grapheme set, "# replacing any digit [0-9]"
KEEP_PROBABILITIES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)   # §4: dropout keep probabilities swept "from [0.5, 1]
                                                      # in intervals of 0.1"
DECODER_SIZING = ("Our decoder parameter count generally settled at being at least as large as the "
                  "combined kernel and input projection parameter count.")   # §4, quoted
MAX_DELTA = None                       # Δ: the decoders recall 1 <= δ <= Δ steps back (§4); the text gives
                                       # no value for Δ (Figs. 1-5 draw it as the y-axis); we use 10
SHAKESPEARE_SEGMENTS = 83_000          # §4: "the complete works of Shakespeare (with 83k text segments)"
WSJ_SEGMENTS = 37_000                  # §4: "the Wall Street Journal (WSJ) corpus with 37K text segments"

# --- §5, Figs. 2 and 3: kernel size and depth ------------------------------------------------------
SIZES = (80, 160, 320, 640)            # Fig. 2: 1-layer GRU and LSTM, [1, 80] ... [1, 640]
DEEP = (4, 320)                        # Fig. 3: a [4, 320] GRU and LSTM, layers 1-4
PERPLEXITY_DROP = 0.15                 # §5: 80 -> 640 units "continuously decreased the test perplexity
                                       # of both language models by 15%"
DEEPER_DECODER_GAIN = 0.05             # §5: doubling the decoder depth on layers 3 and 4 gave "small
                                       # improvements to the recall accuracy (< 5%)"

# --- §6, Figs. 4 and 5: domain adaptation by retraining, and the n-gram --------------------------
ADAPTATION_FRACTION = 0.05             # §6: the Shakespeare LSTM retrained "with 5% of WSJ"
PPL_SHAKESPEARE = 6.791                # §6 / Fig. 4a: the Shakespeare LSTM's WSJ test perplexity
PPL_RETRAINED = 4.110                  # §6 / Fig. 4b: retrained on 5% of WSJ
PPL_WSJ = 3.443                        # §6 / Fig. 4c: the WSJ LSTM
GAP_RATIO = 4.0                        # §6: 4.110 - 3.443 = 0.667 is "4x smaller" than 6.791 - 4.110 = 2.681
NGRAM_ORDER = 5                        # §6 / Fig. 5: "a 5-gram ... and a 1-layer GRU trained on WSJ"

# --- the claims, in the paper's words ---------------------------------------------------------------
QUOTES = {
    "decline": "a continuous decline in recall rates",                          # §4, on Fig. 1a
    "poorly": "a model's ability to remember a character in its recurrent state correlates poorly "
              "with its prediction accuracy",                                   # §4, Fig. 1a against 1b
    "size": "significantly increased",                                          # §5, Fig. 2: the information
                                                                                # "about prior input"
    "depth": "decreases",                                                       # §5, Fig. 3: "decodable knowledge
                                                                                # of prior input decreases"
    "adaptation": "more strongly resembles the signature of the WSJ-trained LSTM",  # §6, Fig. 4b
}
