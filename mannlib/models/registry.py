"""Name -> constructor. Each model family lives in its own file and is imported lazily."""
from __future__ import annotations

from importlib import import_module

# model name -> (module, builder function); the builder takes (io, **sizes). The one list of model
# names (mannlib.models.MODELS is its keys), in the book's order: Wang's four, then Yang's two.
BUILDERS = {
    "srnn": ("mannlib.models.controller", "build_srnn"),
    "lstm": ("mannlib.models.controller", "build_lstm"),
    "tann": ("mannlib.models.controller", "build_tann"),
    "sann": ("mannlib.models.controller", "build_sann"),
    "lantm-invnorm": ("mannlib.models.lantm", "build_lantm_invnorm"),
    "lantm-softmax": ("mannlib.models.lantm", "build_lantm_softmax"),
}


def build(name, io, **sizes):
    module, fn = BUILDERS[name]
    return getattr(import_module(module), fn)(io, **sizes)
