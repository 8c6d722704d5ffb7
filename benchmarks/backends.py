"""Seconds per epoch of every preset's model on every installed Keras backend, as ratios to TensorFlow.

For each backend (one subprocess each, `KERAS_BACKEND` set) and each preset's model shape, on small
synthetic data in that shape (IMDB: random word ids with random-length padding in front, as the real
data has; CIFAR: random images; cosine and adding problem: their own generators):
- plain: `model.fit` on numpy arrays (no callbacks of ours), seconds per epoch;
- app: `rnnviz.training.fit.train` (the app's path: its batch feeder, per-batch events, snapshots), per epoch;
the median epoch after the first (which compiles). Prints s/epoch, the ratio to TensorFlow and the app's
overhead (app / plain, target <= 1.05). With PyTorch and CUDA it also times a hand-written PyTorch cuDNN
loop (`torch.nn.LSTM`/`GRU`, same shapes, Adam) and prints each backend's ratio to it (goal <= 1.5 for
the cells that have a fused kernel on that backend; see `rnnviz.models.device.cudnn_blockers`).

Usage: python benchmarks/backends.py [--samples 256] [--epochs 4] [--presets imdb-quick,...]
       [--backends tensorflow,jax,torch] [--json out.json]

Measured 2026-11-26 on the quiet 2-core CPU (--epochs 3, PyTorch on 4 presets; the table is in the README):
JAX 0.15-0.36x TensorFlow's time for the cosine, adding-problem and imdb-quick models, 0.56-0.76x for the
IMDB bidirectional LSTMs, 0.96-1.06x for imdb-bilstm-meanpool and cifar-rows-bilstm, 1.17-1.42x for the
CIFAR conv front ends; PyTorch 0.93-2.89x. App/plain per preset 0.49-1.25x: too short an epoch to resolve
5% (benchmarks/training_overhead.py measures that goal).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PRESETS = ["imdb-quick", "imdb-bilstm", "imdb-stacked-bilstm", "imdb-bilstm-meanpool", "cifar-rows-bilstm",
                   "cifar-cnn-bilstm", "cifar-cnn-and-bilstm", "cosine-lstm", "memory-simple-rnn", "memory-lstm",
                   "memory-gru"]
MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def synthetic(cfg, n: int):
    """A `Dataset` of n training and n // 4 validation samples in the config's shapes."""
    import numpy as np

    from rnnviz.data import loaders as data

    rng = np.random.default_rng(0)
    opts, n_val = cfg.data, max(8, n // 4)
    if opts.name in ("cosine", "memory"):
        ds = data.load(opts, cfg.seed)
        return data.Dataset(ds.x_train[:n], ds.y_train[:n], ds.x_val[:n_val], ds.y_val[:n_val], ds.task, ds.n_outputs)
    if opts.name == "imdb":
        def ids(k):
            x = rng.integers(4, opts.vocab_size, size=(k, opts.maxlen)).astype("int32")
            lengths = rng.integers(opts.maxlen // 4, opts.maxlen + 1, size=k)
            x[np.arange(opts.maxlen)[None, :] < (opts.maxlen - lengths)[:, None]] = 0  # padding in front
            return x
        return data.Dataset(ids(n), rng.integers(0, 2, n).astype("float32"), ids(n_val),
                            rng.integers(0, 2, n_val).astype("float32"), "binary", 1,
                            extra={"classes": ["negative", "positive"]})
    images = lambda k: rng.random((k, 32, 32, 3), dtype=np.float32)  # noqa: E731
    return data.Dataset(images(n), rng.integers(0, 10, n).astype("int32"), images(n_val),
                        rng.integers(0, 10, n_val).astype("int32"), "multiclass", 10,
                        extra={"classes": [str(k) for k in range(10)]})


def _per_epoch(ends: list[float]) -> float:
    """Median epoch duration after the first, from cumulative end times."""
    steps = [b - a for a, b in zip(ends, ends[1:])]
    return statistics.median(steps) if steps else ends[0]


def time_keras(cfg, ds) -> dict:
    """Plain `model.fit` and the app's `train` on the same model and data: seconds per epoch each."""
    import keras

    from rnnviz.training import fit as train
    from rnnviz.models import build_model

    class Ends(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.t0, self.ends = time.perf_counter(), []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter() - self.t0)

    keras.utils.set_random_seed(cfg.seed)
    model, ends = build_model(cfg, ds), Ends()
    model.fit(ds.x_train, ds.y_train, validation_data=(ds.x_val, ds.y_val), epochs=cfg.epochs,
              batch_size=cfg.batch_size, shuffle=False, verbose=0, callbacks=[ends])
    plain = _per_epoch(ends.ends)
    result = train.train(cfg, ds=ds)
    return {"plain": plain, "app": _per_epoch(result.epoch_seconds), "backend": result.backend}


def time_torch_cudnn(cfg, ds, device: str = "cuda") -> float | None:
    """Seconds per epoch of a hand-written PyTorch loop of the same shape on CUDA (None: not applicable).

    Keras's LSTM/GRU with an Embedding, or reading rows, then a head: conv front ends, mean pooling and
    other cells are left out.
    """
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        return None
    if cfg.front_end != "none" or cfg.cell not in ("lstm", "gru") or cfg.pooling != "last":
        return None
    torch.backends.cudnn.benchmark = True
    dev, opts = torch.device(device), cfg.data
    rnn_cls = torch.nn.LSTM if cfg.cell == "lstm" else torch.nn.GRU
    dirs = 2 if cfg.bidirectional else 1

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            feats = ds.x_train.shape[-1] if ds.x_train.ndim == 3 else 96
            self.embed = torch.nn.Embedding(opts.vocab_size, cfg.embedding_dim) if opts.name == "imdb" else None
            self.rnn = rnn_cls(cfg.embedding_dim if self.embed is not None else feats, cfg.units,
                               num_layers=cfg.layers, bidirectional=cfg.bidirectional, batch_first=True)
            width = cfg.units * dirs
            self.hidden = torch.nn.Linear(width, cfg.head_units) if cfg.head_units else None
            self.head = torch.nn.Linear(cfg.head_units or width, ds.n_outputs)

        def forward(self, x):
            x = self.embed(x) if self.embed is not None else x.reshape(len(x), x.shape[1], -1)
            out, _ = self.rnn(x)  # (batch, time, dirs * units)
            last = out[:, -1, :cfg.units] if dirs == 1 else torch.cat([out[:, -1, :cfg.units], out[:, 0, cfg.units:]], -1)
            if self.hidden is not None:
                last = torch.relu(self.hidden(last))
            return self.head(last)

    net = Net().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    lossf = torch.nn.BCEWithLogitsLoss() if ds.task == "binary" else (
        torch.nn.CrossEntropyLoss() if ds.task == "multiclass" else torch.nn.MSELoss())
    x = torch.as_tensor(ds.x_train, device=dev)
    y = torch.as_tensor(ds.y_train, device=dev)
    y = y.long() if ds.task == "multiclass" else y.float().reshape(len(y), -1)
    ends, t0 = [], time.perf_counter()
    for _ in range(cfg.epochs):
        for start in range(0, len(x), cfg.batch_size):
            opt.zero_grad()
            lossf(net(x[start:start + cfg.batch_size]), y[start:start + cfg.batch_size]).backward()
            opt.step()
        if device == "cuda":
            torch.cuda.synchronize()
        ends.append(time.perf_counter() - t0)
    return _per_epoch(ends)


def worker(args) -> None:
    """Runs in a subprocess per backend: one JSON line per preset on stdout."""
    from rnnviz import backend
    from rnnviz.config import presets

    backend.check()
    for name in args.presets:
        cfg = presets.get(name).config.replace(epochs=args.epochs)
        ds = synthetic(cfg, args.samples)
        row = {"preset": name, "keras_backend": backend.name(), **time_keras(cfg, ds)}
        if args.cudnn and backend.name() == "torch":
            row["torch_cudnn"] = time_torch_cudnn(cfg, ds)
        print(json.dumps(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--presets", default=",".join(DEFAULT_PRESETS))
    ap.add_argument("--backends", default="tensorflow,jax,torch")
    ap.add_argument("--torch-presets", help="presets for the torch backend (default: --presets); Keras's "
                    "PyTorch backend steps through time in Python on a CPU, so fewer may be wise there")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per backend")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--cudnn", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.presets = args.presets.split(",")
    if args.worker:
        return worker(args)
    rows = []
    for b in args.backends.split(","):
        if importlib.util.find_spec(MODULES[b]) is None:
            print(f"{b}: not installed, skipped", file=sys.stderr)
            continue
        names = args.torch_presets if b == "torch" and args.torch_presets else ",".join(args.presets)
        cmd = [sys.executable, __file__, "--worker", "--samples", str(args.samples), "--epochs", str(args.epochs),
               "--presets", names, *(["--cudnn"] if b == "torch" else [])]
        t0 = time.perf_counter()
        try:
            out = subprocess.run(cmd, env={**os.environ, "KERAS_BACKEND": b}, capture_output=True, text=True,
                                 timeout=args.timeout)
            stdout, err = out.stdout, out.stderr if out.returncode else ""
        except subprocess.TimeoutExpired as e:
            stdout, err = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), "timeout"
        got = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        rows += got
        if args.json:  # after each backend, so a later failure keeps what was measured
            Path(args.json).write_text(json.dumps(rows, indent=1))
        why = f" ({err.strip().splitlines()[-1]})" if err.strip() else ""
        print(f"{b}: {len(got)} presets in {time.perf_counter() - t0:.0f} s{why}", file=sys.stderr, flush=True)
    report(rows, args)


def report(rows: list[dict], args) -> None:
    """The table: s/epoch per backend, ratio to TensorFlow, app overhead, ratio to the cuDNN loop."""
    by = {(r["preset"], r["keras_backend"]): r for r in rows}
    cudnn = {r["preset"]: r.get("torch_cudnn") for r in rows if r.get("torch_cudnn")}
    lines = {r["keras_backend"]: r["backend"] for r in rows}
    print(f"synthetic data: {args.samples} training samples per preset, {args.epochs} epochs (median after the first)")
    for b, line in lines.items():
        print(f"  {b}: {line}")
    print(f"{'preset':22} {'backend':10} {'s/epoch':>8} {'vs TF':>6} {'app/plain':>9} {'vs cuDNN loop':>13}")
    for name in args.presets:
        tf = by.get((name, "tensorflow"))
        for b in ("tensorflow", "jax", "torch"):
            r = by.get((name, b))
            if r is None:
                continue
            vs_tf = f"{r['app'] / tf['app']:.2f}" if tf else "-"
            vs_cudnn = f"{r['app'] / cudnn[name]:.2f}" if name in cudnn else "-"
            print(f"{name:22} {b:10} {r['app']:8.3f} {vs_tf:>6} {r['app'] / r['plain']:9.3f} {vs_cudnn:>13}")
        if name in cudnn:
            print(f"{name:22} {'cuDNN loop':10} {cudnn[name]:8.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
