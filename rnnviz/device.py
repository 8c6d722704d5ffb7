"""Which device trains, and which settings leave the cuDNN fast path on a GPU."""

from __future__ import annotations

import os
from functools import cache

from rnnviz.config import RunConfig


@cache
def describe() -> str:
    """A one-line description: the GPU's name(s), or the CPU with its thread count."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return "GPU: " + ", ".join(names)
    threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    return f"CPU ({threads} threads, no GPU found)"


def cudnn_blockers(cfg: RunConfig) -> list[str]:
    """Reasons the config's recurrent layers cannot use the cuDNN kernel on a GPU (empty: they can).

    Keras 3 uses cuDNN for LSTM and GRU only with the default tanh/sigmoid activations, no recurrent
    dropout and no unrolling; SimpleRNN has no cuDNN kernel at all.
    """
    reasons = []
    if cfg.cell == "simple_rnn":
        reasons.append("SimpleRNN has no cuDNN kernel: it always runs the generic loop")
    if cfg.recurrent_dropout > 0:
        reasons.append(f"recurrent_dropout={cfg.recurrent_dropout} > 0 needs the generic loop")
    if cfg.cell != "simple_rnn" and cfg.activation != "tanh":
        reasons.append(f"activation={cfg.activation!r} is not the cuDNN default 'tanh'")
    return reasons
