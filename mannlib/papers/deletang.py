"""Delétang et al. 2023, *Neural Networks and the Chomsky Hierarchy* (ICLR 2023): the findings the
"Every memory on every task" chapter compares with, typed once.

The paper trains RNNs, LSTMs, stack- and tape-augmented RNNs and Transformers on tasks grouped by
the Chomsky hierarchy, on lengths up to 40, and tests them on longer ones (§4, Table 2). Its
abstract sums the result up: RNNs and Transformers "fail to generalize on non-regular tasks,
LSTMs can solve regular and counter-language tasks, and only networks augmented with structured
memory (such as a stack or memory tape) can successfully generalize on context-free and
context-sensitive tasks". Two of its tasks are close to ours; the book reproduces none of its
numbers, it quotes its findings only.
"""
from __future__ import annotations

PAPER = "Delétang et al. 2023"
TRAIN_MAX = 40     # §4: training lengths 1..40 (a uniform curriculum over them) ...
TEST_MAX = 500     # ... and test lengths 41..500

# our task -> (the paper's task, its level of the hierarchy, the memory that generalises on it in
# Table 2). Reverse String is deterministic context-free: the stack-RNN generalises on it. Duplicate
# String (output ww for input w) is context-sensitive: only the tape generalises; our copy asks
# for w once, after its end marker, the closest of our tasks to it.
OVERLAP = {
    "reverse": ("Reverse String", "deterministic context-free", "stack"),
    "copy": ("Duplicate String", "context-sensitive", "tape"),
}
