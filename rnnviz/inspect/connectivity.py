"""What did it look at? How much a model's answer moves with each input step, graded against the known answer.

For the adding problem the true dependency is known: the answer is the sum of the two marked values (with
`recall`, the first one), so it depends on the values at the marked steps and on no other step's value. Here
the gradient of the model's *output* (not its loss: the loss's gradient fades as the error does) with respect
to each step's value, for the weights of each stored epoch, and one number per epoch: the share of that
gradient on the marked steps, averaged over validation samples.

Why the value only: the exact answer Σ vₜ·mₜ (value v, marker m) moves with the marker at every step (by vₜ),
so a norm over both features would mark the exact answer down. Over the value feature the exact answer puts
all of its gradient on the marked steps (share 1), and a model that spreads its attention evenly puts 2/T
there (the `chance` share).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rnnviz.data.loaders import VALUE_FEATURE, marked_steps

SAMPLES = 128
"""Validation samples the share is averaged over (the first ones, the same for every run compared)."""


def dependency(x: np.ndarray, recall: bool = False) -> np.ndarray:
    """Which steps the true answer depends on: bool `(n, steps)`, True at the marked steps (only the first
    with `recall`), for adding-problem inputs `(n, steps, 2)`."""
    marks = marked_steps(x)[:, :1] if recall else marked_steps(x)
    deps = np.zeros(x.shape[:2], bool)
    np.put_along_axis(deps, marks, True, axis=1)
    return deps


def marked_share(norms: np.ndarray, deps: np.ndarray) -> np.ndarray:
    """Per sample, the gradient on the steps the answer depends on divided by the gradient on all steps.

    Args:
        norms: `(n, steps)` gradient norms (`probe.input_gradients`), non-negative.
        deps: `(n, steps)` bool (`dependency`).

    Returns:
        `(n,)` shares in [0, 1]; NaN for a sample whose gradient is zero at every step.
    """
    norms = np.asarray(norms, np.float64)
    total = norms.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (norms * deps).sum(axis=1) / total, np.nan)


@dataclass(frozen=True)
class Looked:
    """Where one run's answer looked, epoch by epoch (see `looked_at`).

    Attributes:
        epochs: the weights' epochs (0 = before training), ascending.
        norms: `(epochs, samples, steps)`: |d output / d value at step t|.
        deps: `(samples, steps)` bool: the steps the true answer depends on.
    """

    epochs: list[int]
    norms: np.ndarray
    deps: np.ndarray

    @functools.cached_property
    def shares(self) -> np.ndarray:
        """`(epochs,)`: the share on the marked steps, averaged over samples."""
        return np.array([np.nanmean(marked_share(n, self.deps)) for n in self.norms])

    @property
    def chance(self) -> float:
        """The share of a gradient spread evenly over the steps (2/T for the sum, 1/T for recall)."""
        return float(self.deps.sum(axis=1).mean() / self.deps.shape[1])


def looked_at(model, x: np.ndarray, snapshots: dict[int, list], recall: bool = False, trained: int = 0) -> Looked:
    """The output's gradient per step for each snapshot's weights (the model's own weights are restored).

    Args:
        model: a run's model.
        x: adding-problem inputs `(n, steps, 2)` (e.g. the first `SAMPLES` validation sequences).
        snapshots: epoch -> weights (`StoredRun.snapshots()`); empty: only the model's own weights.
        recall: the run answers the first marked value only.
        trained: the epochs the model's own weights were trained for (their epoch when there are no snapshots).
    """
    from rnnviz import probe  # lazy: Keras; rnnviz.ui imports this before app.py's backend check

    fn = probe.input_gradient_fn(model, probe.OUTPUT, features=VALUE_FEATURE)
    final = model.get_weights()
    epochs = sorted(snapshots) or [trained]
    try:
        norms = []
        for epoch in epochs:
            model.set_weights(snapshots[epoch] if snapshots else final)
            norms.append(fn(x))
    finally:
        model.set_weights(final)
    return Looked(epochs, np.stack(norms).astype(np.float64), dependency(x, recall))


def error_by_gap(x: np.ndarray, y: np.ndarray, pred: np.ndarray, bins: int = 6) -> list[dict]:
    """The squared error by how far apart the two marks are (the steps the first value must be held).

    Args:
        x: adding-problem inputs `(n, steps, 2)`; y, pred: targets and answers `(n,)` or `(n, 1)`.
        bins: at most this many gap ranges of about equal width (fewer when the gaps span less).

    Returns:
        One dict per non-empty range, in order: `lo`, `hi` (gaps, in steps, both included), `mse` and `n`.
    """
    marks = marked_steps(x)
    gaps = marks[:, 1] - marks[:, 0]
    err = (np.asarray(pred, np.float64).ravel() - np.asarray(y, np.float64).ravel()) ** 2
    edges = np.unique(np.linspace(gaps.min(), gaps.max() + 1, bins + 1).astype(int))
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (gaps >= lo) & (gaps < hi)
        if inside.any():
            rows.append({"lo": int(lo), "hi": int(hi - 1), "mse": float(err[inside].mean()), "n": int(inside.sum())})
    return rows
