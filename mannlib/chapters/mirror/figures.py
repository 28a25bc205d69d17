"""The mirror chapter's Fig. 4 (Wang et al. 2019, §3.2 "Analysis"): the t-SNE panels
(:func:`figure4`) with a negative example each, and what the negative panels show
(:func:`negative_text`). The probe heatmap with named steps is
:func:`mannlib.chapters.wang_common.agreement_figure`."""
from __future__ import annotations

from dataclasses import dataclass

from ...methods import analysis as A, hypotheses as H
from ..base import pct
from ..wang_common import ABOVE_SHUFFLED
from .analysis import Analysis


@dataclass(frozen=True)
class PanelSpec:
    step: int         # time step (0-based: x1 = 0, <EOS> = L)
    cell: int         # memory cell
    position: int     # input position x_p whose labels colour the panel
    supports: bool    # True: what the hypothesis says the cell holds; False: a wrong label

    def title(self, step_names) -> str:
        """Wang Fig. 4's caption form: (time step, cell): hypothesis semantics."""
        return f"({step_names[self.step]}, {self.cell}): x{self.position}" + ("" if self.supports else " (wrong)")


def cell_holding(hyp: H.CellHypothesis, step: int, position: int) -> int:
    """The cell that ``hyp`` says holds input x_position after ``step``."""
    row = hyp.positions[step]
    if position not in row:
        raise ValueError(f"hypothesis {hyp.name!r} puts x{position} in no cell after step "
                         f"{hyp.step_names[step]}; it holds {sorted(p for p in row if p)}")
    return row.index(position)


def figure4_specs(hyp: H.CellHypothesis, pairs) -> list[PanelSpec]:
    """Panels for Fig. 4: ``pairs`` of (step name, input position) the hypothesis should explain,
    e.g. [("<EOS>", 1), ("y2", 3)], then one negative example: the first pair's cell labelled
    with the neighbouring position (x2 for x1), a wrong hypothesis about the same vectors."""
    specs = []
    for name, position in pairs:
        if name not in hyp.step_names:
            raise ValueError(f"unknown step {name!r}; steps: {', '.join(hyp.step_names)}")
        step = hyp.step_names.index(name)
        specs.append(PanelSpec(step, cell_holding(hyp, step, position), position, True))
    first = specs[0]
    wrong = first.position + 1 if first.position < hyp.length else first.position - 1
    return specs + [PanelSpec(first.step, first.cell, wrong, False)]


def figure4_panels(a: Analysis, specs: list[PanelSpec], seed: int = 0) -> dict:
    """{title: TsnePanel}: t-SNE of the cell vectors at each spec's (step, cell) over the
    analysis samples, coloured by the label of input x_position, with its probe scores."""
    return {spec.title(a.step_names): A.tsne_panel(a.trace["memory"][:, spec.step, spec.cell],
                                                   a.labels[:, spec.position - 1], seed=seed)
            for spec in specs}


def figure4(analyses: dict, hyps: dict, pairs, seed: int = 0) -> dict:
    """Fig. 4 for several models: {"TANN (<EOS>, 2): x1": TsnePanel, ...}, each model's panels
    from :func:`figure4_specs` ``pairs`` (its supporting examples, then its negative one)."""
    panels = {}
    for model, a in analyses.items():
        specs = figure4_specs(hyps[model], pairs)
        panels.update({f"{model.upper()} {title}": panel for title, panel in figure4_panels(a, specs, seed).items()})
    return panels


def negative_text(panels: dict) -> str:
    """What the negative panels of :func:`figure4` (titles ending "(wrong)") show, for the prose:
    a cell that holds x1 and nothing else cannot predict the independent x2, so a negative panel
    should score like shuffled labels (within ABOVE_SHUFFLED)."""
    neg = {title.split()[0]: p for title, p in panels.items() if title.endswith("(wrong)")}
    if not neg:
        raise ValueError("no negative panel (a title ending in '(wrong)'); see figure4_specs")
    scores = ", ".join(f"{m} {pct(p.score)} (shuffled {pct(p.shuffled_score)})" for m, p in neg.items())
    high = [m for m, p in neg.items() if p.score >= p.shuffled_score + ABOVE_SHUFFLED]
    if not high:
        return (f"The negative panels score like shuffled labels ({scores}), as they should: a cell that "
                "holds one input says nothing about another, independent one.")
    return (f"The negative panels do not all score like shuffled labels: {scores}. A cell that held "
            f"one input and nothing else could not predict an independent one, so in {' and '.join(high)} "
            "the cell also carries the second input: the one-input-per-cell reading of the hypothesis is "
            "incomplete there, even where its own labels score high. A k-NN probe on the full vectors "
            "picks up such a mixture; a t-SNE map may not show it.")

