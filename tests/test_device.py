"""Device line and the cuDNN fast-path rules."""

from rnnviz import device
from rnnviz.config import RunConfig


def test_describe_names_cpu_or_gpu():
    line = device.describe()
    assert line.startswith("GPU: ") or (line.startswith("CPU (") and "threads" in line)


def test_cudnn_blockers():
    assert device.cudnn_blockers(RunConfig(cell="lstm")) == []
    assert device.cudnn_blockers(RunConfig(cell="gru", bidirectional=True, layers=3)) == []
    assert "recurrent_dropout" in device.cudnn_blockers(RunConfig(recurrent_dropout=0.1))[0]
    assert "activation" in device.cudnn_blockers(RunConfig(cell="gru", activation="relu"))[0]
    assert "SimpleRNN" in device.cudnn_blockers(RunConfig(cell="simple_rnn"))[0]
