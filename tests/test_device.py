"""Device line and the fused-kernel (cuDNN) rules per backend."""

import keras
import pytest

from rnnviz.models import device
from rnnviz.config import ImdbData, RunConfig

NO_MASK = ImdbData(mask=False)


def test_describe_names_cpu_or_gpu():
    line = device.describe()
    assert line.startswith("GPU: ") or (line.startswith("CPU (") and "threads" in line)


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_cudnn_blockers_common_to_all_backends(backend):
    assert device.cudnn_blockers(RunConfig(cell="lstm"), backend) == []
    assert device.cudnn_blockers(RunConfig(cell="lstm", bidirectional=True, layers=3), backend) == []
    assert "recurrent_dropout" in device.cudnn_blockers(RunConfig(recurrent_dropout=0.1), backend)[0]
    assert "activation" in device.cudnn_blockers(RunConfig(activation="relu"), backend)[0]
    assert "SimpleRNN" in device.cudnn_blockers(RunConfig(cell="simple_rnn"), backend)[0]
    assert "no cuDNN kernel" in device.cudnn_blockers(RunConfig(cell="lstm_peephole"), backend)[0]
    assert device.cudnn_blockers(RunConfig(cell="lstm", data=NO_MASK), backend) == []


def test_gru_is_fused_on_tensorflow_and_torch_but_not_jax():
    gru = RunConfig(cell="gru", bidirectional=True, layers=3)
    assert device.cudnn_blockers(gru, "tensorflow") == device.cudnn_blockers(gru, "torch") == []
    assert "no cuDNN GRU" in device.cudnn_blockers(gru, "jax")[0]


def test_masked_padding_leaves_the_fused_kernel_on_jax_and_torch():
    masked = RunConfig(cell="lstm", data=ImdbData(mask=True, padding="post"))
    assert device.cudnn_blockers(masked, "tensorflow") == []  # TF's cuDNN takes right-padded masks
    for backend in ("jax", "torch"):
        assert "mask=True" in device.cudnn_blockers(masked, backend)[0]
    left = RunConfig(cell="gru", data=ImdbData(mask=True, padding="pre"))
    assert "padding='pre'" in device.cudnn_blockers(left, "tensorflow")[0]


def test_default_backend_is_the_running_one():
    cfg = RunConfig(cell="gru")
    assert device.cudnn_blockers(cfg) == device.cudnn_blockers(cfg, keras.backend.backend())


def test_limit_blas_threads_caps_openblas_when_numpy_uses_it():
    from pathlib import Path

    import numpy as np

    np.ones((2, 2)) @ np.ones((2, 2))  # numpy's BLAS is loaded
    maps = Path("/proc/self/maps")
    uses_openblas = maps.is_file() and "openblas" in maps.read_text().lower()
    assert device.limit_blas_threads(1) is uses_openblas
