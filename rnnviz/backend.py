"""The one module that imports a framework: TensorFlow, JAX or PyTorch, whichever Keras runs on.

Keras picks its backend once (`KERAS_BACKEND`, else `~/.keras/keras.json`, else TensorFlow) and its
layers only call `keras.ops`. Three things Keras does not cover go through here, each importing the
running backend's framework lazily: feeding batches (`batches`), input gradients (`gradient_fn`) and
naming the device (`describe_device`, `describe`). Nothing else in `rnnviz/` imports a framework.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable, Iterator

import numpy as np


class BackendError(ValueError):
    """Keras's backend is unknown or not installed (the message is one line naming `KERAS_BACKEND`)."""


@dataclass(frozen=True)
class Backend:
    """One Keras backend: its name in `KERAS_BACKEND`, framework, module and where it reaches a GPU."""

    name: str
    label: str
    module: str
    install: str
    gpu: str


BACKENDS = {
    "tensorflow": Backend("tensorflow", "TensorFlow", "tensorflow", 'pip install tensorflow',
                          'NVIDIA (CUDA) on Linux and WSL2: pip install "tensorflow[and-cuda]". No native '
                          "Windows GPU since TF 2.11, no Apple-silicon GPU."),
    "jax": Backend("jax", "JAX", "jax", "pip install jax",
                   'NVIDIA (CUDA) on Linux and WSL2: pip install "jax[cuda12]". CPU only on Windows and macOS.'),
    "torch": Backend("torch", "PyTorch", "torch", "pip install torch",
                     "NVIDIA (CUDA) on Linux and Windows: the pytorch.org wheel for your CUDA; Apple-silicon "
                     "GPU (MPS) on macOS: pip install torch."),
}
DEFAULT = "tensorflow"  # Keras's own default
SPEED_NOTE = ("Which is fastest depends on the model (benchmarks/backends.py; rerun it on your machine). Measured "
              "on a quiet 2-core CPU, seconds per epoch against TensorFlow's: JAX took 0.15-0.36x for the "
              "cosine, adding-problem and imdb-quick models, 0.56-0.76x for the bidirectional-LSTM IMDB "
              "presets, about the same for CIFAR read by rows and imdb-bilstm-meanpool, and 1.2-1.4x for the "
              "CIFAR presets with a conv front end; Keras's PyTorch backend took 0.9-2.9x (it steps through "
              "time in Python on a CPU). On a GPU, Keras's PyTorch backend uses cuDNN for LSTM and GRU and "
              "JAX only for LSTM, and neither for masked (padded) IMDB reviews.")


def configured() -> str:
    """The backend Keras will run (or runs): `KERAS_BACKEND`, else `keras.json`, else "tensorflow".

    Read without importing Keras (whose import fails for a bad backend), the way `keras/src/backend/config.py`
    reads it.
    """
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "backend"):
        return sys.modules["keras"].backend.backend()
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as f:
            return json.load(f).get("backend", DEFAULT)
    except (OSError, ValueError, AttributeError):
        return DEFAULT


def problem(import_keras: bool = True) -> str | None:
    """One line saying why Keras cannot run here (unknown or uninstalled backend), or None when it can.

    Args:
        import_keras: also import Keras (which imports the framework); False checks only that the
            backend is known and its package is installed.
    """
    chosen = configured()
    known = BACKENDS.get(chosen)
    if known is None:
        return (f"`KERAS_BACKEND` must be one of {', '.join(BACKENDS)}. Received: KERAS_BACKEND={chosen!r} "
                f"(from the environment or ~/.keras/keras.json). Set e.g. KERAS_BACKEND=tensorflow "
                f"and install it: {BACKENDS[DEFAULT].install}")
    if importlib.util.find_spec(known.module) is None:
        others = ", ".join(installed()) or "none"
        return (f"KERAS_BACKEND={chosen!r} but {known.label} is not installed. Install it with "
                f"`{known.install}`, or set `KERAS_BACKEND` to an installed one ({others}).")
    if not import_keras:
        return None
    try:
        import keras  # noqa: F401  (lazy: this is the check; a broken install fails here)
    except Exception as e:  # noqa: BLE001 - any import failure is reported as one line
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        return (f"Keras could not start with KERAS_BACKEND={chosen!r}: {first}. Reinstall it with "
                f"`{known.install}`, or set `KERAS_BACKEND` to another backend.")
    return None


def check(import_keras: bool = True) -> str:
    """The configured backend's name, after making sure Keras can start with it.

    Args:
        import_keras: see `problem`.

    Raises:
        BackendError: one line naming `KERAS_BACKEND` and the install command.
    """
    if (why := problem(import_keras)) is not None:
        raise BackendError(why)
    return configured()


def installed() -> list[str]:
    """The backends whose framework is installed here."""
    return [b.name for b in BACKENDS.values() if importlib.util.find_spec(b.module) is not None]


def reach() -> list[dict[str, str]]:
    """A row per backend for a table: `KERAS_BACKEND`, framework, the GPUs it reaches, whether installed."""
    here = installed()
    return [{"KERAS_BACKEND": b.name, "framework": b.label, "GPU it reaches (CPU everywhere)": b.gpu,
             "install (CPU)": b.install, "installed here": "yes" if b.name in here else "no"}
            for b in BACKENDS.values()]


def name() -> str:
    """The running backend, e.g. "tensorflow" (imports Keras)."""
    import keras  # lazy: app.py and the CLI import this module before they check KERAS_BACKEND (a bad one fails here)

    return keras.backend.backend()


def _version(module: str) -> str:
    """`major.minor` of an imported package."""
    return ".".join(sys.modules[module].__version__.split("+")[0].split(".")[:2])


@cache
def describe_device() -> str:
    """The device Keras trains on: the GPU's name(s), or the CPU with its thread count.

    E.g. "GPU: NVIDIA H100 80GB HBM3", "GPU: Apple MPS" or "CPU (2 threads, no GPU found)".
    """
    backend = name()
    gpus: list[str] = []
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if backend == "tensorflow":
        import tensorflow as tf  # lazy: the running backend's framework only (the others may not be installed)

        gpus = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                for g in tf.config.list_physical_devices("GPU")]
        threads = tf.config.threading.get_intra_op_parallelism_threads() or threads
    elif backend == "jax":
        import jax  # lazy: the running backend's framework only (the others may not be installed)

        gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    elif backend == "torch":
        import torch  # lazy: the running backend's framework only (the others may not be installed)

        if torch.cuda.is_available():
            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        elif torch.backends.mps.is_available():
            gpus = ["Apple MPS"]
        threads = torch.get_num_threads()
    if gpus:
        return "GPU: " + ", ".join(gpus)
    return f"CPU ({threads} threads, no GPU found)"


@cache
def describe() -> str:
    """Keras, the backend and the device in one line, e.g. "Keras 3.15 · JAX 0.10 · CPU (2 threads)"."""
    backend = BACKENDS.get(name())
    framework = f"{backend.label} {_version(backend.module)}" if backend else name()
    device = describe_device().replace(", no GPU found", "")
    return f"Keras {_version('keras')} · {framework} · {device}"


def _index_batches(orders: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """The sample ids of each batch, epoch after epoch (`orders`: one row per epoch)."""
    for order in orders:
        for start in range(0, len(order), batch_size):
            yield order[start:start + batch_size]


def batches(x: np.ndarray, y: np.ndarray, orders: np.ndarray, batch_size: int) -> Any:
    """A stream of `(x, y)` batches for `model.fit` reading the samples in `orders`, epoch by epoch.

    The batches are the same on every backend: epoch e's are `orders[e]` cut into `batch_size` pieces
    (the last one shorter). TensorFlow gets a prefetching `tf.data` pipeline (its fastest feeder); JAX
    and PyTorch a numpy generator (Keras turns it into their own iterators). Pass `steps_per_epoch`.

    Args:
        x, y: all training samples `(n, ...)` and targets `(n, ...)`.
        orders: `(epochs, n)` sample ids (`rnnviz.data.loaders.epoch_orders`).
        batch_size: samples per batch.
    """
    if name() == "tensorflow":
        import tensorflow as tf  # lazy: the running backend's framework only (the others may not be installed)

        xt, yt = tf.constant(x), tf.constant(y)
        per_epoch = tf.data.Dataset.from_tensor_slices(orders).flat_map(
            lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size))
        return per_epoch.map(lambda idx: (tf.gather(xt, idx), tf.gather(yt, idx))).prefetch(2)
    return ((x[idx], y[idx]) for idx in _index_batches(orders, batch_size))


def gradient_fn(model: Any, wrt: int, loss: Callable) -> Callable[[list, np.ndarray], np.ndarray]:
    """`fn(inputs, y_true)`: d sum(loss(y_true, model(inputs))) / d inputs[wrt], in inference mode.

    TensorFlow: a `tf.GradientTape` traced once by `tf.function`; JAX: `jax.grad` of the model's
    `stateless_call`, jitted (the weights are read at each call, so setting other weights is seen);
    PyTorch: `torch.autograd.grad`.

    Args:
        model: a Keras model taking a list of inputs.
        wrt: index of the input to differentiate by.
        loss: per-sample loss `(y_true, y_pred) -> (batch,)`, written with `keras.ops`.

    Returns:
        A function of (list of numpy inputs, numpy targets) returning the gradient as numpy, shaped like
        `inputs[wrt]`.
    """
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf  # lazy: the running backend's framework only (the others may not be installed)

        @tf.function(reduce_retracing=True)
        def tf_gradient(values, y_true):
            with tf.GradientTape() as tape:
                tape.watch(values[wrt])
                total = tf.reduce_sum(loss(y_true, model(values, training=False)))
            return tape.gradient(total, values[wrt])

        return lambda values, y_true: tf_gradient([tf.convert_to_tensor(v) for v in values],
                                                  tf.convert_to_tensor(y_true)).numpy()
    if backend == "jax":
        import jax  # lazy: the running backend's framework only (the others may not be installed)
        import jax.numpy as jnp  # lazy: the running backend's framework only (the others may not be installed)

        def total(seq, values, y_true, trainable, non_trainable):
            values = [seq if i == wrt else v for i, v in enumerate(values)]
            out, _ = model.stateless_call(trainable, non_trainable, values, training=False)
            return jnp.sum(loss(y_true, out))

        jax_gradient = jax.jit(jax.grad(total))

        def jax_fn(values, y_true):
            weights = [[v.value for v in vs] for vs in (model.trainable_variables, model.non_trainable_variables)]
            return np.asarray(jax_gradient(values[wrt], list(values), y_true, *weights))

        return jax_fn
    if backend == "torch":
        import keras  # lazy: as in name()
        import torch  # lazy: the running backend's framework only (the others may not be installed)

        def torch_fn(values, y_true):
            with torch.enable_grad():
                tensors = [keras.ops.convert_to_tensor(v) for v in values]
                tensors[wrt] = tensors[wrt].detach().requires_grad_(True)
                total = torch.sum(loss(keras.ops.convert_to_tensor(y_true), model(tensors, training=False)))
                (grad,) = torch.autograd.grad(total, tensors[wrt])
            return grad.detach().cpu().numpy()

        return torch_fn
    raise BackendError(f"Input gradients need KERAS_BACKEND tensorflow, jax or torch. Received: {backend!r}")


def full_float32() -> None:
    """Turns off reduced-precision float32 matmuls (TF32 on NVIDIA GPUs) for the running backend.

    On a GPU the backends' defaults agree with a float64 recompute only to ~1e-3; with this, JAX and
    TensorFlow reach ~1e-6 and PyTorch's cuDNN path ~2e-5 (see FACTS.md). Affects the whole process:
    call it before probing and exactness checks, not in a training server.
    """
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf  # lazy: the running backend's framework only (the others may not be installed)

        tf.config.experimental.enable_tensor_float_32_execution(False)
    elif backend == "jax":
        import jax  # lazy: the running backend's framework only (the others may not be installed)

        jax.config.update("jax_default_matmul_precision", "highest")
    elif backend == "torch":
        import torch  # lazy: the running backend's framework only (the others may not be installed)

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
