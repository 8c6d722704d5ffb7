"""Builds the Keras model a RunConfig describes: input stage, stacked (bidirectional) RNNs, pooling, head.

- cosine: `(window, 1)` values -> RNNs -> Dense(horizon).
- memory (the adding problem): `(steps, 2)` (value, marker) pairs -> RNNs -> Dense(1), MSE.
- imdb_lm (language model): `(seq_len,)` word or character ids -> Embedding -> RNNs (every step) ->
  Dense(vocabulary, softmax) at every step: the next token's probabilities.
- imdb: `(maxlen,)` word ids -> Embedding (masking the padding id 0 when asked) -> RNNs -> Dense(1, sigmoid).
- cifar10: `(32, 32, 3)` images -> read as 32 rows (or columns) of 96 values -> RNNs -> Dense(10, softmax);
  front_end "conv" puts Conv2D -> BatchNorm -> MaxPool before the RNN (16 steps of 16 x filters values);
  "conv+rnn" runs a conv branch beside the row RNN and concatenates the two.
"""

from __future__ import annotations

import math
import zlib
from functools import partial

import keras
from keras import layers

from rnnviz import backend
from rnnviz.models import keras_cells
from rnnviz.config import RunConfig
from rnnviz.config import cells
from rnnviz.config import tasks
from rnnviz.data.loaders import Dataset



def cell_layers(cell: str):
    """A layer factory `f(units, return_sequences=..., name=..., **cell options)` for a cell name: Keras's
    layer (`keras.layers.LSTM`), or `keras.layers.RNN` around a cell of ours (`rnnviz.models.keras_cells`)."""
    row = cells.row(cell)
    return partial(keras_cells.cell_layer, cell) if row.ours else getattr(layers, row.keras)


OPTIMIZERS = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
              "sgd": keras.optimizers.SGD, "adamw": keras.optimizers.AdamW}
# Keras's default 0.99 leaves BatchNorm's running statistics far behind after the few hundred steps of a
# classroom run (validation accuracy then jumps around); 0.9 catches up (cifar-quick: 47.7% -> 56.1% test)
BN_MOMENTUM = 0.9


def dropout_seed(cfg: RunConfig, name: str) -> int | None:
    """A recurrent layer's own dropout seed on PyTorch, else None (Keras seeds it when the model is built).

    Keras's PyTorch backend draws an unseeded layer's dropout masks from torch's one global generator, as
    they are needed: two trainings at once (`RNNVIZ_TRAIN_WORKERS=2`) would take each other's draws and
    neither would train as it does alone. A seed gives the layer a generator of its own. On TensorFlow and
    JAX each layer's generator is already seeded from the global seed while the model is built.
    """
    if backend.name() != "torch" or not (cfg.dropout or cfg.recurrent_dropout):
        return None
    return zlib.crc32(f"{cfg.seed}:{name}".encode()) & 0x7FFFFFFF  # Keras keeps seeds as int32


def recurrent_layer(cfg: RunConfig, return_sequences: bool, name: str) -> layers.Layer:
    """One recurrent layer of the config's cell type, wrapped in Bidirectional when asked."""
    layer = cell_layers(cfg.cell)(
        cfg.units, activation=cfg.activation, dropout=cfg.dropout, recurrent_dropout=cfg.recurrent_dropout,
        seed=dropout_seed(cfg, name), return_sequences=return_sequences,
        name=name if not cfg.bidirectional else f"{name}_cell")
    return layers.Bidirectional(layer, name=name) if cfg.bidirectional else layer


def _sequence(cfg: RunConfig, x):
    """Turns the model input into the sequence the first RNN reads."""
    task = tasks.of(cfg.data)
    if task.inputs == "ids":  # (a padding id 0 is masked when the data asks for it)
        return layers.Embedding(cfg.data.shape().ids, cfg.embedding_dim, mask_zero=getattr(cfg.data, "mask", False),
                                name="embedding")(x)
    if task.inputs == "image":
        if cfg.front_end == "conv":
            x = layers.Conv2D(cfg.conv_filters, 3, padding="same", activation="relu", name="conv")(x)
            x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="conv_bn")(x)
            x = layers.MaxPooling2D(2, name="conv_pool")(x)  # (16, 16, filters)
        elif cfg.data.by == "columns":
            x = layers.Permute((2, 1, 3), name="columns")(x)
        return layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]), name="rows")(x)
    return x


def _rnn_stack(cfg: RunConfig, x, keep_sequences: bool):
    for k in range(1, cfg.layers + 1):
        x = recurrent_layer(cfg, return_sequences=k < cfg.layers or keep_sequences, name=f"rnn_{k}")(x)
    return x


def _conv_branch(cfg: RunConfig, image):
    x = layers.Conv2D(cfg.conv_filters, 3, padding="same", activation="relu", name="conv")(image)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="conv_bn")(x)
    x = layers.MaxPooling2D(2, name="conv_pool")(x)
    x = layers.Flatten(name="conv_flat")(x)
    return layers.Dense(cfg.head_units or 60, activation="relu", name="conv_dense")(x)


def build_model(cfg: RunConfig, ds: Dataset) -> keras.Model:
    """The compiled model for a config and its data.

    Args:
        cfg: the run's config (data options, cell, layers, units, dropout, head, optimizer, ...).
        ds: the data; its input shape, task and output width shape the model.

    Returns:
        A compiled `keras.Model` whose recurrent layers are named `rnn_1`, `rnn_2`, ... and whose output
        layer is `head` (linear for regression, sigmoid for binary, softmax for multiclass).
    """
    ids = tasks.of(cfg.data).inputs == "ids"
    inputs = keras.Input(shape=ds.x_train.shape[1:], name="inputs", dtype="int32" if ids else "float32")
    mean = cfg.pooling == "mean"
    objective = tasks.objective(ds.task)
    x = _rnn_stack(cfg, _sequence(cfg, inputs), keep_sequences=mean or objective.per_step)
    if cfg.head_units:
        x = layers.Dense(cfg.head_units, activation="relu", name="hidden")(x)  # per step when pooling "mean"
    if mean:
        x = layers.GlobalAveragePooling1D(name="mean_over_time")(x)  # skips masked steps
    if cfg.front_end == "conv+rnn":
        x = layers.Concatenate(name="branches")([_conv_branch(cfg, inputs), x])
    outputs = layers.Dense(ds.n_outputs, activation=objective.activation, name="head")(x)
    model = keras.Model(inputs, outputs, name=f"run_{cfg.run_id}")
    model.compile(optimizer=OPTIMIZERS[cfg.optimizer](learning_rate=learning_rate(cfg, len(ds.x_train))),
                  loss=objective.loss, metrics=list(objective.metrics))
    return model


LR_FLOOR = 0.05
"""Where `lr_decay="cosine"` ends: this share of the learning rate."""


def learning_rate(cfg: RunConfig, n_train: int) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """The optimizer's learning rate: `cfg.learning_rate`, or with `lr_decay="cosine"` a schedule over every
    batch of the run (`epochs` x ceil(`n_train` / `batch_size`)) from it down to `LR_FLOOR` of it."""
    if cfg.lr_decay == "none":
        return cfg.learning_rate
    steps = cfg.epochs * max(1, math.ceil(n_train / cfg.batch_size))
    return keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps, alpha=LR_FLOOR)
