"""Builds the Keras model a RunConfig describes: stacked (bidirectional) recurrent layers and a task head."""

from __future__ import annotations

import keras

from rnnviz.config import RunConfig
from rnnviz.data import Dataset

CELL_LAYERS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
OPTIMIZERS = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
              "sgd": keras.optimizers.SGD, "adamw": keras.optimizers.AdamW}
# task -> (output activation, loss, metrics)
HEADS = {
    "regression": (None, "mse", []),
    "binary": ("sigmoid", "binary_crossentropy", ["accuracy"]),
    "multiclass": ("softmax", "sparse_categorical_crossentropy", ["accuracy"]),
}


def recurrent_layer(cfg: RunConfig, return_sequences: bool, name: str) -> keras.layers.Layer:
    """One recurrent layer of the config's cell type, wrapped in Bidirectional when asked."""
    layer = CELL_LAYERS[cfg.cell](
        cfg.units, activation=cfg.activation, dropout=cfg.dropout, recurrent_dropout=cfg.recurrent_dropout,
        return_sequences=return_sequences, name=name if not cfg.bidirectional else f"{name}_cell")
    return keras.layers.Bidirectional(layer, name=name) if cfg.bidirectional else layer


def build_model(cfg: RunConfig, ds: Dataset) -> keras.Model:
    """The compiled model for a config and its data.

    Args:
        cfg: the run's config (cell, layers, units, dropout, optimizer, ...).
        ds: the data; its input shape, task and output width shape the model.

    Returns:
        A compiled `keras.Model`: Input -> `cfg.layers` recurrent layers named `rnn_1`... -> Dense head
        named `head` (linear for regression, sigmoid for binary, softmax for multiclass).
    """
    inputs = keras.Input(shape=ds.x_train.shape[1:], name="inputs")
    x = inputs
    for k in range(1, cfg.layers + 1):
        x = recurrent_layer(cfg, return_sequences=k < cfg.layers, name=f"rnn_{k}")(x)
    activation, loss, metrics = HEADS[ds.task]
    width = 1 if ds.task == "binary" else ds.n_outputs
    outputs = keras.layers.Dense(width, activation=activation, name="head")(x)
    model = keras.Model(inputs, outputs, name=f"run_{cfg.run_id}")
    model.compile(optimizer=OPTIMIZERS[cfg.optimizer](learning_rate=cfg.learning_rate), loss=loss,
                  metrics=metrics)
    return model
