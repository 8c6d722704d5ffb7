"""Command line: `python -m rnnviz train|runs|presets` for teachers who pre-train, and for checks.

Exit codes: 0 success, 2 invalid input (the message names the field; nothing is stored), 1 any other
failure (a one-line reason on stderr). Progress goes to stderr; `--json` prints one object on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from typing import Any

from rnnviz import presets
from rnnviz.config import CELLS, OPTIMIZERS, RunConfig

# flag -> RunConfig field, for the flags that override a config field
FIELD_FLAGS = {"cell": "cell", "bidirectional": "bidirectional", "layers": "layers", "units": "units",
               "dropout": "dropout", "recurrent_dropout": "recurrent_dropout", "epochs": "epochs",
               "batch_size": "batch_size", "lr": "learning_rate", "optimizer": "optimizer", "seed": "seed",
               "activation": "activation"}


def parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    p = argparse.ArgumentParser(prog="python -m rnnviz", description="Train and list RNN Explorer runs.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a config (or load it if already stored)")
    t.add_argument("--preset", help="start from a named preset (see `presets`)")
    t.add_argument("--data", choices=["cosine"], help="data set")
    t.add_argument("--cell", choices=CELLS)
    t.add_argument("--bidirectional", action="store_true", default=None)
    t.add_argument("--layers", type=int)
    t.add_argument("--units", type=int)
    t.add_argument("--activation")
    t.add_argument("--dropout", type=float)
    t.add_argument("--recurrent-dropout", type=float)
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float, help="learning rate")
    t.add_argument("--optimizer", choices=OPTIMIZERS)
    t.add_argument("--seed", type=int)
    t.add_argument("--retrain", action="store_true", help="train even if the run is stored")
    t.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    for name, help_ in (("runs", "list stored runs"), ("presets", "list presets")):
        sub.add_parser(name, help=help_).add_argument("--json", action="store_true")
    return p


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The config named by the flags: the preset (or defaults) with the given flags applied.

    Raises:
        ValueError: naming the invalid field.
    """
    cfg = presets.get(args.preset).config if args.preset else RunConfig()
    changes = {field: getattr(args, flag) for flag, field in FIELD_FLAGS.items()
               if getattr(args, flag) is not None}
    if args.data and args.data != cfg.data.name:
        changes["data"] = RunConfig.from_dict({"data": args.data}).data
    return cfg.replace(**changes)


def _progress(event: dict[str, Any]) -> None:
    if event["kind"] == "epoch":
        scores = " ".join(f"{k} {v:.4g}" for k, v in event.items() if k not in ("kind", "epoch", "seconds"))
        print(f"epoch {event['epoch']}: {scores} ({event['seconds']:.1f} s)", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _native_logs_muted():
    """Hides TensorFlow's C++ start-up lines (they bypass Python); replays them if start-up fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def cmd_train(args: argparse.Namespace) -> int:
    try:
        cfg = config_from_args(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with _native_logs_muted():
        from rnnviz import device
        from rnnviz.jobs import train_and_store
        from rnnviz.store import RunStore

        device.describe()
    store = RunStore()
    store.cleanup()
    print(f"run {cfg.run_id}: {cfg.summary()}", file=sys.stderr, flush=True)
    run, result = train_and_store(cfg, store, retrain=args.retrain, on_event=_progress)
    out = {"run_id": run.run_id, "cached": result is None, "config": run.config.to_dict(),
           "history": run.history, "metrics": run.metrics, "params": run.info["params"],
           "train_seconds": run.info["train_seconds"], "device": run.info["device"], "path": str(run.path)}
    if args.json:
        print(json.dumps(out))
    else:
        scores = ", ".join(f"{k} {v:.4g}" for k, v in run.metrics.items())
        print(f"{run.run_id} {'loaded from store' if out['cached'] else 'trained'}: {scores}; "
              f"{out['params']} params; {out['train_seconds']:.1f} s on {out['device']}\n{run.path}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from rnnviz.store import RunStore  # reads JSON only: no TensorFlow start-up

    runs, problems = RunStore().list()
    for problem in problems:
        print(f"warning: skipped {problem}", file=sys.stderr)
    rows = [{"run_id": r.run_id, "summary": r.info.get("summary", r.config.summary()),
             "created": r.info.get("created"), "metrics": r.metrics, "config": r.config.to_dict()}
            for r in runs]
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            scores = ", ".join(f"{k} {v:.4g}" for k, v in row["metrics"].items())
            print(f"{row['run_id']}  {row['created']}  {row['summary']}  {scores}")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    rows = [{"name": p.name, "description": p.description, "source": p.source, "target": p.target,
             "run_id": p.config.run_id, "config": p.config.to_dict()} for p in presets.PRESETS.values()]
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(f"{row['name']}: {row['description']} (target: {row['target']})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Runs one command; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        return {"train": cmd_train, "runs": cmd_runs, "presets": cmd_presets}[args.command](args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # any other failure: one line, exit 1
        print(f"error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
        return 1
