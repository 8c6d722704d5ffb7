"""Trains presets from scratch and prints a table: preset, data used, epochs, seconds, metric, target.

Usage: python benchmarks/presets.py [NAME ...] [--data-dir DIR]   (default: every preset)
Real-data presets read ../shared/data (or --data-dir) and are skipped with a message when it is absent.
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnviz import presets  # noqa: E402
from rnnviz.jobs import train_and_store  # noqa: E402
from rnnviz.store import RunStore  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", default=list(presets.PRESETS))
    ap.add_argument("--data-dir", default=str(SHARED) if SHARED.is_dir() else None)
    args = ap.parse_args()
    store = RunStore(tempfile.mkdtemp())
    rows = []
    for name in args.names:
        preset = presets.get(name)
        cfg = preset.config
        try:
            run, result = train_and_store(cfg, store, retrain=True, data_dir=args.data_dir)
        except Exception as e:  # e.g. the data set is not here: say so and go on
            print(f"{name}: skipped ({e})", file=sys.stderr)
            continue
        metric = ", ".join(f"{k} {v:.4f}" for k, v in run.metrics.items())
        rows.append((name, f"{len(result.history['loss'])} epochs", f"{run.info['train_seconds']:.1f} s",
                     metric, preset.target))
        print(" | ".join(rows[-1]), flush=True)
    print("\n| preset | epochs | training time | result | target |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
