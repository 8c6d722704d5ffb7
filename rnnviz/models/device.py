"""Which device trains, and which settings leave the fused (cuDNN) recurrent kernel on a GPU."""

from __future__ import annotations

import ctypes
from pathlib import Path

from rnnviz import backend as backends
from rnnviz.config import RunConfig, cells


def describe() -> str:
    """A one-line description: the GPU's name(s), or the CPU with its thread count (see `rnnviz.backend`)."""
    return backends.describe_device()


def cudnn_blockers(cfg: RunConfig, backend: str | None = None) -> list[str]:
    """Reasons the config's recurrent layers cannot use a fused cuDNN kernel on a GPU (empty: they can).

    What Keras 3.15 does, per backend (read in its source):
    - All: `LSTM.inner_loop` / `GRU.inner_loop` (keras/src/layers/rnn/lstm.py, gru.py) try the backend's
      `lstm` / `gru` only when `recurrent_dropout` is 0 (and `use_cudnn` is "auto", our models' default);
      SimpleRNN has no such hook, so it always runs the generic step loop (`backend.rnn`).
    - TensorFlow (keras/src/backend/tensorflow/rnn.py, `cudnn_ok` and `_do_lstm_arguments_support_cudnn`
      / `_do_gru_arguments_support_cudnn`): LSTM and GRU with tanh / sigmoid, bias, no unroll
      (GRU: reset_after). Masks must be right-padded: `_cudnn_lstm` / `_cudnn_gru` check it in the graph
      (`_assert_valid_mask`, a runtime assertion, not a fallback), so `padding="pre"` with the mask on is
      refused on a GPU.
    - JAX (keras/src/backend/jax/rnn.py, `cudnn_ok`, `lstm`, `bidirectional_lstm`, `gru`,
      `bidirectional_gru`): only LSTM (also Bidirectional) gets cuDNN, through `jax.experimental.rnn.lstm`,
      with tanh / sigmoid, bias, no unroll and NO mask. GRU never gets cuDNN (`gru` is a `lax.scan`, used
      without a mask; `bidirectional_gru` always falls back).
    - PyTorch (keras/src/backend/torch/rnn.py, `cudnn_ok`, `lstm`, `gru`, `bidirectional_lstm`,
      `bidirectional_gru`): LSTM and GRU (also Bidirectional) through `torch._VF.lstm` / `torch._VF.gru`
      on CUDA, with tanh / sigmoid, bias, no unroll and NO mask. Apple MPS runs the generic loop.

    Args:
        cfg: the run's config.
        backend: "tensorflow", "jax" or "torch"; default the configured one (Keras is not imported).
    """
    backend = backend or backends.configured()
    reasons = []
    cell = cells.row(cfg.cell)
    if cell.no_fused:  # SimpleRNN, and our own cells in keras.layers.RNN's loop
        return [cell.no_fused]
    if off := cell.fused_off.get(backend):  # e.g. JAX's GRU
        reasons.append(off)
    if cfg.recurrent_dropout > 0:
        reasons.append(f"recurrent_dropout={cfg.recurrent_dropout} > 0 needs the generic loop")
    if cfg.activation != "tanh":
        reasons.append(f"activation={cfg.activation!r} is not the cuDNN default 'tanh'")
    masked = getattr(cfg.data, "mask", False)
    if masked and backend in ("jax", "torch") and not off:
        label = backends.BACKENDS[backend].label
        reasons.append(f"mask=True (padding masked): Keras's {label} backend has no fused kernel for masked "
                       "sequences; turn the mask off to use cuDNN")
    elif masked and backend == "tensorflow" and cfg.data.padding == "pre":
        reasons.append("mask=True with padding='pre': TensorFlow's cuDNN kernel takes only right-padded "
                       "(padding='post') masks and refuses left-padded ones on a GPU")
    return reasons


# ---------------------------------------------------------------- numpy's BLAS threads (the probe's recompute)

_BLAS_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                 "openblas_set_num_threads64_", "openblas_set_num_threads")


def limit_blas_threads(n: int = 1) -> bool:
    """Caps the OpenBLAS threads numpy uses (what `OPENBLAS_NUM_THREADS` does at start-up, but later).

    The probe's per-step matmuls are tiny; on a 2-core machine where TensorFlow's threads also run, OpenBLAS's
    spinning threads made `probe.gates` 3-20x slower and erratic (e.g. 18 vs 5 ms for 256 steps x 128 units,
    0.7 s vs 30 ms for a batch of 80). Streamlit imports numpy before the app's code, so the environment
    variable comes too late there.

    Returns:
        True when an OpenBLAS library was found and capped (False elsewhere, e.g. macOS Accelerate).
    """
    maps = Path("/proc/self/maps")
    if not maps.is_file():
        return False
    libs = {line.split()[-1] for line in maps.read_text().splitlines()
            if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    done = False
    for path in sorted(libs):
        lib = ctypes.CDLL(path)
        setter = next((getattr(lib, s) for s in _BLAS_SETTERS if hasattr(lib, s)), None)
        if setter is not None:
            setter(n)
            done = True
    return done
