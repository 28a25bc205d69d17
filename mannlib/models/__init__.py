"""Models behind one constructor: ``build_model(name, io, **sizes)``.

Every model maps x of shape (B, T[, input_size]) to logits (B, T, output_size);
``model(x, trace=True)`` returns ``(logits, trace)`` where trace is a dict of tensors
shaped (B, T, ...) (controller gates, memory weightings, actions, keys, ...).
"""
from __future__ import annotations

from .base import Memory, ModelError, ModelIO
from . import registry
from .registry import BUILDERS

MODELS = tuple(BUILDERS)   # srnn, lstm, tann, sann, lantm-invnorm, lantm-softmax (Wang's four, then Yang's)


def build_model(name: str, io: ModelIO, **sizes):
    """The model called ``name`` for inputs/outputs ``io``; ``sizes`` override its Config."""
    if name not in MODELS:
        raise ModelError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return registry.build(name, io, **sizes)
