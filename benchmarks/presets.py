"""Trains presets from scratch and prints a table: preset, data used, epochs, seconds, metric, target, met.

Usage: python benchmarks/presets.py [NAME ...] [--data-dir DIR] [--epochs N]   (default: every preset)
Real-data presets read ../shared/data (or --data-dir) and are skipped with a message when it is absent.
`--epochs` overrides the presets' epochs (the run is then not the preset: the table says so).
"""

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnviz.data import loaders as data
from rnnviz.config import presets  # noqa: E402
from rnnviz.training.jobs import train_and_store  # noqa: E402
from rnnviz.store import RunStore  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=list(presets.PRESETS))
    ap.add_argument("--data-dir", default=str(SHARED) if SHARED.is_dir() else None)
    ap.add_argument("--epochs", type=int)
    args = ap.parse_args()
    if args.data_dir is None:
        print(f"note: {SHARED} is absent: IMDB and CIFAR presets will be skipped", file=sys.stderr)
    store = RunStore(tempfile.mkdtemp())
    rows = []
    for name in args.names:
        preset = presets.get(name)
        cfg = preset.config if args.epochs is None else dataclasses.replace(preset.config, epochs=args.epochs)
        try:
            ds = data.load(cfg.data, cfg.seed, data_dir=args.data_dir)
            run, result = train_and_store(cfg, store, retrain=True, data_dir=args.data_dir)
        except Exception as e:  # e.g. the data set is not here: say so and go on
            print(f"{name}: skipped ({type(e).__name__}: {e})", file=sys.stderr)
            continue
        used = f"{len(ds.x_train):,} train / {len(ds.x_val):,} val" + (
            f" / {len(ds.x_test):,} test" if ds.x_test is not None else "")
        metric = preset.metric or next(m for m in ("val_mse", "val_rmse", "test_accuracy") if m in run.metrics)
        value = run.metrics.get(metric, float("nan"))
        shown = f"{metric} {value:.4f}" if metric.endswith("mse") else f"{metric} {value:.1%}"
        if "baseline_mse" in run.metrics:
            shown += f" (baseline {run.metrics['baseline_mse']:.4f})"
        met = "-" if not preset.metric else "yes" if preset.meets(run.metrics, run.info["train_seconds"]) else "NO"
        rows.append((name + ("" if args.epochs is None else f" (epochs={args.epochs})"), used,
                     str(len(result.history["loss"])), f"{run.info['train_seconds']:.1f} s", shown, preset.target, met))
        print(" | ".join(rows[-1]), flush=True)
    print("\n| preset | data used | epochs | training time | result | target | met |\n|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
