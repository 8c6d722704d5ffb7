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
from rnnviz.config import RunConfig, cells
from rnnviz.data.lm import CHAR_VOCAB

FLOAT = 4  # bytes


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
    total = 0
    if cfg.data.name == "cosine":
        n_in, out = 1, cfg.data.horizon
    elif cfg.data.name == "memory":
        n_in, out = 2, 1  # (value, marker) per step
    elif cfg.data.name == "imdb":
        total += cfg.data.vocab_size * cfg.embedding_dim
        n_in, out = cfg.embedding_dim, 1
    elif cfg.data.name == "imdb_lm":  # embedding and softmax over the word or character vocabulary
        out = cfg.data.vocab_size if cfg.data.level == "word" else CHAR_VOCAB
        total += out * cfg.embedding_dim
        n_in = cfg.embedding_dim
    else:
        n_in, out = 96, 10  # a row: 32 pixels x 3 colours
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
    b = cfg.batch_size
    if cfg.data.name == "cosine":
        steps, n_samples, sample = cfg.data.window, cfg.data.length, cfg.data.window + cfg.data.horizon
        extra = 0
    elif cfg.data.name == "memory":
        steps, n_samples, sample, extra = cfg.data.steps, cfg.data.samples, 2 * cfg.data.steps + 1, 0
    elif cfg.data.name == "imdb":
        steps, n_samples, sample = cfg.data.maxlen, 50_000, cfg.data.maxlen
        extra = b * steps * cfg.embedding_dim
    elif cfg.data.name == "imdb_lm":  # plus the softmax over the vocabulary at every step
        steps, n_samples, sample = cfg.data.seq_len, cfg.data.train_size + cfg.data.val_size, 2 * cfg.data.seq_len
        width = cfg.data.vocab_size if cfg.data.level == "word" else CHAR_VOCAB
        extra = b * steps * (cfg.embedding_dim + 2 * width)
    else:
        steps, n_samples, sample = (16 if cfg.front_end == "conv" else 32), 60_000, 3072
        extra = b * 32 * 32 * cfg.conv_filters * 3 if cfg.front_end != "none" else 0
    per_step = cfg.layers * d * cfg.units * cells.row(cfg.cell).saved_per_step + cfg.head_units * (cfg.pooling == "mean")
    activations = 2 * FLOAT * (b * steps * per_step + extra)  # forward values and their gradients
    data = 2 * FLOAT * n_samples * sample  # the arrays, and the training copy the input pipeline holds
    return Estimate(params, 4 * FLOAT * params, activations, data)


def limit_bytes(workers: int = 1) -> int:
    """Memory one training may use: `$RNNVIZ_MEMORY_LIMIT_MB`, else half the machine's RAM over `workers`.

    Raises:
        rnnviz.config.env.EnvError: `$RNNVIZ_MEMORY_LIMIT_MB` is not a positive number.
    """
    mb = env.memory_limit_mb()
    if mb is not None:
        return int(mb * 2**20)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return ram // 2 // max(1, workers)


def check(cfg: RunConfig, workers: int = 1) -> Estimate:
    """The estimate for `cfg`, if it fits.

    Raises:
        TooBig: naming the estimate, its parts and the limit, and what to lower.
    """
    est, limit = estimate(cfg), limit_bytes(workers)
    if est.total > limit:
        gb = lambda n: f"{n / 2**30:.1f} GB"  # noqa: E731
        raise TooBig(f"This configuration needs about {gb(est.total)} to train ({est.params:,} weights: "
                     f"{gb(est.weights)} with gradients and optimizer state; activations {gb(est.activations)} "
                     f"for a batch of {cfg.batch_size}; data {gb(est.data)}), more than the {gb(limit)} allowed "
                     "here (RNNVIZ_MEMORY_LIMIT_MB). Lower the units, layers, batch size, vocabulary or "
                     "sequence length.")
    return est
