"""The memory guard: what a config will need to train, estimated before anything is built, and the limit.

The parameter count follows the architecture of `rnnviz.models.build_model` exactly (the tests compare it
with Keras's `count_params`); training memory adds gradients and Adam's two moments per weight, the
activations kept for backpropagation through time, and the data held in memory. The estimate is meant to
refuse what cannot fit, not to predict to the megabyte.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rnnviz.config import env
from rnnviz.config import RunConfig, cells, tasks

FLOAT = 4  # bytes
PROCESS_MB = 900
"""What one training process holds once Keras is imported, before any training (four idle ones held 3.5 GB on
TensorFlow, issue 21); the guard sets it aside for each process the trainer may run, or once for the zygote that
forks them (`rnnviz.training.zygote`)."""
FORKED_MB = 500
"""What a training process forked from the zygote holds of its own (the pages it wrote) by its last run: on
TensorFlow about 110 MB after one small run and 500 MB after 25, `RNNVIZ_WORKER_RUNS`' default (private dirty
memory, measured on a zygote's child training 64-unit cosine runs)."""


class TooBig(ValueError):
    """A config would not fit in the memory allowed for training; the message gives estimate and limit."""


@dataclass(frozen=True)
class Estimate:
    """Bytes a training of one config needs.

    Attributes:
        params: number of weights. weights: weights, gradients and optimizer state. activations: one batch's
        forward values kept for backpropagation. data: the data set's arrays in memory.
    """

    params: int
    weights: int
    activations: int
    data: int

    @property
    def total(self) -> int:
        return self.weights + self.activations + self.data


def rnn_params(cell: str, n_in: int, units: int) -> int:
    """Weights of one recurrent layer (one direction): `cell` a cell name, `n_in` features per step.

    The cell's row (`rnnviz.config.cells`) gives the formula: e.g. LSTM `4u(n+u) + 4u`; peephole LSTM adds three
    diagonal peepholes, `+ 3u`; CIFG LSTM `3u(n+u) + 3u`; GRU (reset_after, two bias rows) `3u(n+u) + 6u`;
    MGU `2u(n+u) + 2u`; SimpleRNN `u(n+u) + u`.
    """
    return cells.row(cell).params(n_in, units)


def param_count(cfg: RunConfig) -> int:
    """The model's number of weights, from its architecture (equal to Keras's `count_params`)."""
    d = 2 if cfg.bidirectional else 1
    shape = cfg.data.shape()
    total, n_in, out = 0, shape.features, shape.outputs
    if shape.ids:  # token ids: an embedding first
        total += shape.ids * cfg.embedding_dim
        n_in = cfg.embedding_dim
    if cfg.front_end != "none":
        total += cfg.conv_filters * (3 * 3 * 3 + 1) + 4 * cfg.conv_filters  # Conv2D + BatchNorm
        if cfg.front_end == "conv":
            n_in = 16 * cfg.conv_filters  # a pooled row: 16 positions x filters
    for _ in range(cfg.layers):
        total += d * rnn_params(cfg.cell, n_in, cfg.units)
        n_in = d * cfg.units
    if cfg.head_units:
        total += n_in * cfg.head_units + cfg.head_units
        n_in = cfg.head_units
    if cfg.front_end == "conv+rnn":
        branch = cfg.head_units or 60
        total += 16 * 16 * cfg.conv_filters * branch + branch
        n_in += branch
    return total + n_in * out + out


def estimate(cfg: RunConfig) -> Estimate:
    """What training `cfg` needs, in bytes (see the module docstring)."""
    d = 2 if cfg.bidirectional else 1
    params = param_count(cfg)
    b, shape = cfg.batch_size, cfg.data.shape()
    steps, n_samples, sample = shape.steps // (2 if cfg.front_end == "conv" else 1), shape.n_samples, shape.sample_values
    extra = b * steps * cfg.embedding_dim if shape.ids else 0  # the embedding's output
    if tasks.objective(cfg.data.task).per_step:  # a prediction at every step: the softmax over the vocabulary
        extra += b * steps * 2 * shape.outputs
    if cfg.front_end != "none":  # the conv front end's feature maps (an image of steps x steps pixels)
        extra += b * shape.steps * shape.steps * cfg.conv_filters * 3
    per_step = cfg.layers * d * cfg.units * cells.row(cfg.cell).saved_per_step + cfg.head_units * (cfg.pooling == "mean")
    activations = 2 * FLOAT * (b * steps * per_step + extra)  # forward values and their gradients
    data = 2 * FLOAT * n_samples * sample  # the arrays, and the training copy the input pipeline holds
    return Estimate(params, 4 * FLOAT * params, activations, data)


def limit_bytes(workers: int = 1, reserved_mb: int = 0) -> int:
    """Memory one training may use: `$RNNVIZ_MEMORY_LIMIT_MB`, else half the machine's RAM, less `reserved_mb`
    that the training processes hold besides their trainings (`ProcessExecutor.reserved_mb`), over `workers`.

    Raises:
        rnnviz.config.env.EnvError: `$RNNVIZ_MEMORY_LIMIT_MB` is not a positive number.
    """
    mb = env.memory_limit_mb()
    if mb is not None:
        return int(mb * 2**20)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(0, ram // 2 - reserved_mb * 2**20) // max(1, workers)


def check(cfg: RunConfig, workers: int = 1, reserved_mb: int = 0) -> Estimate:
    """The estimate for `cfg`, if it fits in `limit_bytes(workers, reserved_mb)`.

    Raises:
        TooBig: naming the estimate, its parts and the limit, and what to lower.
    """
    est, limit = estimate(cfg), limit_bytes(workers, reserved_mb)
    if est.total > limit:
        gb = lambda n: f"{n / 2**30:.1f} GB"  # noqa: E731
        raise TooBig(f"This configuration needs about {gb(est.total)} to train ({est.params:,} weights: "
                     f"{gb(est.weights)} with gradients and optimizer state; activations {gb(est.activations)} "
                     f"for a batch of {cfg.batch_size}; data {gb(est.data)}), more than the {gb(limit)} allowed "
                     "here (RNNVIZ_MEMORY_LIMIT_MB). Lower the units, layers, batch size, vocabulary or "
                     "sequence length.")
    return est
