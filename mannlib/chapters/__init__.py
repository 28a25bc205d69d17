"""Chapter helpers: what a chapter notebook computes, kept out of the notebook so it is tested.

One module per chapter (``mannlib.chapters.mirror`` for notebooks/mirror.ipynb); each builds on
the generic pieces (:mod:`mannlib.analysis`, :mod:`mannlib.hypotheses`, :mod:`mannlib.plots`).
"""
