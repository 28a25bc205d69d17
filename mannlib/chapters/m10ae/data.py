"""The M10AE chapter's data (Wang et al. 2019, §3.3): the training and test sets a run really
uses (:func:`datasets`), :func:`mannlib.tasks.m10ae.describe` as one tidy table
(:func:`describe_frame`, :func:`plot_dataset`), and what the last numeral alone predicts
(:func:`last_numeral_baseline`)."""
from __future__ import annotations

import pandas as pd

from ...engine.config import RunConfig
from ...tasks.m10ae import count_lpo, describe


def datasets(config: RunConfig) -> tuple[list, list]:
    """(training set, test set) exactly as the trainer builds them for ``config``: the fixed
    training set (``TrainingData``, stream [seed, 1], #LPO uniform on the task's training range,
    0-14 unless ``task_args.train_max`` says otherwise) and the final test set (``eval_n``
    expressions per test #LPO, 0-20, from ``eval_seed``, the same for every seed)."""
    from ...tasks import get_task
    from ...engine.train import TrainingData, test_sets
    task = get_task(config.task, **config.task_args)
    train = TrainingData(task, config).fixed or []
    test = [ex for exs in test_sets(task, config.eval_n, config.eval_seed, config.eval_difficulties).values()
            for ex in exs]
    return train, test


def describe_frame(**splits) -> pd.DataFrame:
    """:func:`mannlib.tasks.m10ae.describe` of each named split as one tidy table: columns split,
    quantity (lpo, term_numerals, tokens, label), value, count, fraction (within split and quantity)."""
    rows = []
    for name, examples in splits.items():
        for quantity, counts in describe(examples).items():
            total = sum(counts.values())
            rows += [(name, quantity, v, c, c / total) for v, c in counts.items()]
    return pd.DataFrame(rows, columns=["split", "quantity", "value", "count", "fraction"])


def plot_dataset(df: pd.DataFrame):
    """Four panels from :func:`describe_frame`: the share of each #LPO, numerals per term,
    expression length and result, one colour per split."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    titles = {"lpo": "#LPO", "term_numerals": "numerals per term", "tokens": "tokens per expression",
              "label": "result (class)"}
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    for ax, (quantity, title) in zip(axes, titles.items()):
        d = df[df["quantity"] == quantity]
        if quantity == "tokens":
            sns.lineplot(d, x="value", y="fraction", hue="split", ax=ax, legend=False)
        else:
            sns.barplot(d, x="value", y="fraction", hue="split", ax=ax, legend=quantity == "lpo")
            ax.tick_params(axis="x", labelsize="x-small")
        ax.set(title=title, xlabel="", ylabel="fraction" if quantity == "lpo" else "")
    fig.tight_layout()
    return fig


def last_numeral_baseline(train: list, test: list) -> pd.Series:
    """Accuracy per #LPO of the best guess from the last numeral alone: for each last numeral,
    the result most common in ``train``; scored on ``test``. What a network that has learned
    nothing compositional can reach (the result of a longer expression is nearly independent of
    any one symbol)."""
    counts = pd.crosstab([int(e.input[-1]) for e in train], [int(e.target[0]) for e in train])
    guess = counts.idxmax(axis=1).to_dict()                             # last numeral -> result
    df = pd.DataFrame({"lpo": [count_lpo(e.input) for e in test],
                       "ok": [guess.get(int(e.input[-1])) == int(e.target[0]) for e in test]})
    return df.groupby("lpo")["ok"].mean().rename("accuracy")


