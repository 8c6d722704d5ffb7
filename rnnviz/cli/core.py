"""The commands `train`, `sweep`, `runs`, `presets` and `prefetch`, the parser of every command, and the helpers the
lesson commands (`rnnviz.cli.lesson`) share: train a list of configs through one Trainer with progress on stderr.

`train`, `sweep` and `prepare-lesson` train as the pages do: through a `rnnviz.training.jobs.Trainer` and the
executor `rnnviz.training.executors.make` picks (`_trainer`, `_run`); `train`'s one run stays in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import tempfile
from typing import Any, Callable

from rnnviz import backend
from rnnviz.config import DATA_KINDS, RunConfig, env, presets, tasks
from rnnviz.config.run import CELLS, OPTIMIZERS
from rnnviz.data import userdata
from rnnviz.data import standard as datasets
from rnnviz.data.standard import DataError, DataUnavailable
from rnnviz.models import budget
from rnnviz.store import RunStore, classroom

PREFETCH_NAMES = tasks.FILE_SETS
# flag -> RunConfig field, for the flags that override a config field
FIELD_FLAGS = {"cell": "cell", "bidirectional": "bidirectional", "layers": "layers", "units": "units",
               "dropout": "dropout", "recurrent_dropout": "recurrent_dropout", "epochs": "epochs",
               "batch_size": "batch_size", "lr": "learning_rate", "optimizer": "optimizer", "seed": "seed",
               "activation": "activation"}


def _train_flags(p: argparse.ArgumentParser) -> None:
    """The flags `train` and `sweep` share: a preset, the data, config fields, --set, --retrain, --json."""
    p.add_argument("--preset", help="start from a named preset (see `presets`)")
    p.add_argument("--data", choices=list(DATA_KINDS), help="data set")
    p.add_argument("--csv", metavar="FILE", help="a CSV file for --data csv (copied once into "
                   "$RNNVIZ_HOME/datasets/, named by its content hash); pick columns with --set target=COLUMN ...")
    p.add_argument("--text", metavar="FILE", action="append", help="a text file for --data text (given twice or "
                   "more: joined), stored once in $RNNVIZ_HOME/datasets/ by its content hash; without it --data text "
                   "reads the raw IMDB reviews (aclImdb) from the data folder")
    p.add_argument("--data-dir", help="folder holding the data set's standard files (default: "
                   "$RNNVIZ_DATA_DIR, then the Keras cache, then a download)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="any other config field or data option, e.g. --set maxlen=256 --set train_size=2000")
    p.add_argument("--cell", choices=CELLS)
    p.add_argument("--bidirectional", action="store_true", default=None)
    p.add_argument("--layers", type=int)
    p.add_argument("--units", type=int)
    p.add_argument("--activation")
    p.add_argument("--dropout", type=float)
    p.add_argument("--recurrent-dropout", type=float)
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--seed", type=int)
    p.add_argument("--retrain", action="store_true", help="train even if the run is stored")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    p = argparse.ArgumentParser(prog="python -m rnnviz", description="Train and list RNN Explorer runs.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a config (or load it if already stored)")
    _train_flags(t)
    w = sub.add_parser("sweep", help="train every combination of one or two varied fields (stored runs load)")
    _train_flags(w)
    w.add_argument("--vary", action="append", default=[], metavar="FIELD=V1,V2,...",
                   help="a field (or data option) and its values, e.g. --vary cell=simple_rnn,lstm,gru "
                        "--vary steps=10,25,50 (one or two fields; at most 60 runs)")
    for name, help_ in (("runs", "list stored runs"), ("presets", "list presets")):
        sub.add_parser(name, help=help_).add_argument("--json", action="store_true")
    le = sub.add_parser("prepare-lesson", help="train (or find stored) every run a lesson needs, before class")
    le.add_argument("lesson", metavar="NAME", help="a lesson (assets/lessons/NAME.toml or $RNNVIZ_HOME/lessons/"
                    "NAME.toml), or a lesson file's path")
    le.add_argument("--data-dir", help="folder holding the data sets' standard files (as for `train`)")
    le.add_argument("--retrain", action="store_true", help="train even if a run is stored")
    le.add_argument("--skip-preflight", action="store_true",
                    help="do not open every step as a student would (in both modes) after training")
    le.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    tl = sub.add_parser("teacher-link", help="print the link that unlocks the teacher's browser session")
    for p_ in (le, tl):
        p_.add_argument("--url", default=classroom.DEFAULT_URL, type=classroom.url, help="the app's address")
    f = sub.add_parser("prefetch", help="download data sets into the Keras cache, for offline classrooms")
    # no `choices` here: with nargs="*" and a list default, Python 3.11's argparse checks the default list
    # itself against the choices and exits 2 (`prefetch` alone failed); cmd_prefetch checks the names
    f.add_argument("datasets", nargs="*", metavar="{" + ",".join(PREFETCH_NAMES) + "}",
                   help="data sets (default: all)")
    f.add_argument("--json", action="store_true")
    return p


def _value(text: str) -> Any:
    """A `--set` value: JSON when it parses (3, 0.5, true), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The config named by the flags: the preset (or defaults) with the given flags applied.

    Raises:
        ValueError: naming the invalid field.
    """
    cfg = presets.get(args.preset).config if args.preset else RunConfig()
    blob, where = _user_file(args)
    changes = {field: getattr(args, flag) for flag, field in FIELD_FLAGS.items()
               if getattr(args, flag) is not None}
    if args.data and args.data != cfg.data.name:
        changes["data"] = RunConfig.from_dict({"data": args.data}).data
    data = changes.get("data", cfg.data)
    data_fields = set(dataclasses.asdict(data))
    for item in args.set:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ValueError(f"`--set` must look like FIELD=VALUE. Received: --set {item!r}")
        if key in data_fields:
            changes[f"data_{key}"] = _value(text)
        elif key in {f.name for f in dataclasses.fields(RunConfig)} and key != "data":
            changes[key] = _value(text)
        else:
            raise ValueError(f"`--set` names no config field or {data.name} option. Received: {key}={text!r}")
    if blob is not None:
        changes["data_file"] = userdata.digest(blob)
    cfg = cfg.replace(**changes)
    from rnnviz.data import loaders  # lazy: pandas (~0.4 s); presets, runs and --help must not wait for it

    cfg = cfg.replace(data=loaders.check_upload(cfg.data, blob, where))  # a bad file: exit 2
    if blob is not None:
        userdata.put(blob, tasks.of(cfg.data).upload)
    return cfg


def _user_file(args: argparse.Namespace) -> tuple[bytes | None, str | None]:
    """The bytes of the file `--csv` names, or of the texts `--text` names (joined), and how errors name them;
    sets `args.data` to the kind that reads it when `--data` is not given.

    Raises:
        ValueError: a file that cannot be read or used (one line naming it).
    """
    csv, texts = getattr(args, "csv", None), getattr(args, "text", None) or []
    if csv and texts:
        raise ValueError("`--csv` and `--text` name files of two data kinds: give one of them")
    if csv:
        args.data = args.data or tasks.with_upload("csv")[0]
        return userdata.read_file(csv), csv
    if texts:
        from rnnviz.data import text  # lazy, as loaders below

        args.data = args.data or tasks.with_upload(text.KIND)[0]
        return text.join([(userdata.read_file(f), f) for f in texts]), " + ".join(texts)
    return None, None


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


def _open_store():
    """Starts Keras (a broken framework install: one line, None) and opens the run store, cleaned up."""
    try:
        with _native_logs_muted():
            backend.check()  # Keras itself starts (and a broken framework install fails) here
            import rnnviz.training.jobs  # noqa: F401  (lazy and here: its Keras imports print native logs, muted)

            backend.describe()
    except backend.BackendError as e:
        print(f"error: {e}", file=sys.stderr)
        return None
    store = RunStore()
    store.cleanup()
    return store


def cmd_train(args: argparse.Namespace) -> int:
    """Trains (or loads) one config through the Trainer on this process's threads (unless RNNVIZ_EXECUTOR or
    RNNVIZ_RAY_ADDRESS say otherwise); one JSON object with the run."""
    try:
        cfg = config_from_args(args)
        budget.check(cfg)  # refuses (exit 2) what would not fit in memory
        backend.check(import_keras=False)  # an unknown or uninstalled KERAS_BACKEND: one line, exit 2
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    store = _open_store()
    if store is None:
        return 2
    # one run: in this process unless RNNVIZ_EXECUTOR=process (a training process would only add a second
    # Keras import for a run that leaks nothing worth it: 13-17 s against 10 s)
    trainer = _trainer(store, args, workers=1, default="thread")
    print(f"run {cfg.run_id}: {cfg.summary()} on {trainer.executor.describe()}", file=sys.stderr, flush=True)
    seen = [0]

    def progress(jobs: list) -> None:
        events = [e for e in jobs[0].events if e["kind"] == "epoch"]
        for event in events[seen[0]:]:
            _progress(event)
        seen[0] = len(events)

    (job,) = _run(trainer, [cfg], args.retrain, progress)
    if job.state != "done":
        data_error = isinstance(job.exception, (DataUnavailable, DataError))  # the message names the fixes
        print(f"error: {job.exception if data_error else job.error or job.state}", file=sys.stderr)
        return 1
    run = job.run
    out = {"run_id": run.run_id, "cached": job.cached, "config": run.config.to_dict(),
           "history": run.history, "metrics": run.metrics, "params": run.info["params"],
           "train_seconds": run.info["train_seconds"], "device": run.info["device"],
           "backend": run.info.get("backend"), "node": run.info.get("node"), "path": str(run.path)}
    if args.json:
        print(json.dumps(out))
    else:
        scores = ", ".join(f"{k} {v:.4g}" for k, v in run.metrics.items())
        print(f"{run.run_id} {'loaded from store' if out['cached'] else 'trained'}: {scores}; "
              f"{out['params']} params; {out['train_seconds']:.1f} s on {out['device']}\n{run.path}")
    return 0


def _trainer(store, args: argparse.Namespace, workers: int, default: str | None = None):
    """The Trainer every command trains through, its executor picked by `rnnviz.training.executors.make` (Ray
    when RNNVIZ_RAY_ADDRESS names a cluster that answers; else this machine, `default` when RNNVIZ_EXECUTOR is
    unset). An unused RNNVIZ_RAY_ADDRESS is said once on stderr."""
    from rnnviz.training import executors  # lazy: Keras (~3 s); presets, runs and --help must not wait for it
    from rnnviz.training.jobs import Trainer  # lazy: Keras (~3 s); presets, runs and --help must not wait for it

    executor = executors.make(workers, default=default)
    if executor.note:
        print(f"note: {executor.note}", file=sys.stderr)
    return Trainer(store, workers=workers, data_dir=args.data_dir, executor=executor, max_minutes=env.max_run_minutes())


def _run(trainer, configs: list, retrain: bool, progress) -> list:
    """Submits `configs` to `trainer` and waits for them, calling `progress(jobs)` as they go; then shuts the
    trainer down. Ctrl-C stops every job (after its current batch) before it is raised. Returns the jobs."""
    from rnnviz.training import sweep  # lazy: pandas (~0.4 s); presets, runs and --help must not wait for it

    jobs: list = []
    try:
        with contextlib.redirect_stdout(sys.stderr):  # a download's progress bar must not reach --json output
            with sweep.sigint_held():  # Ctrl-C here would leave a job queued but unknown to `jobs`: it would train
                jobs = sweep.submit(trainer, configs, retrain=retrain)
            return sweep.wait(jobs, progress)
    except BaseException:
        with sweep.sigint_held():  # a second Ctrl-C must not cut the stopping short (the rest would then train)
            sweep.stop_all(jobs)
            trainer.shutdown()
        raise
    finally:
        trainer.shutdown()  # a Ray worker or training process is ended now, not when this process exits


def _train_all(configs: list, args: argparse.Namespace, what: str, head: dict, stored: str,
               after: Callable[[], dict] | None = None) -> int:
    """Trains (or loads) `configs` through one Trainer, one after another, with progress on stderr; prints one
    JSON object `{**head, "runs": [...]}` (`--json`) or a line per run. Exit 0, or 1 if a run failed.

    `after`: called once every run is done; its keys join the JSON object, and `{"ok": False}` in any of its
    values makes the exit 1."""
    from rnnviz.training import sweep  # lazy: pandas (~0.4 s); presets, runs and --help must not wait for it

    store = _open_store()
    if store is None:
        return 2
    trainer = _trainer(store, args, workers=env.train_workers())
    print(f"{what}: {len(configs)} runs on {trainer.executor.describe()}", file=sys.stderr, flush=True)
    seen: dict[str, int] = {}
    told: set[str] = set()

    def progress(jobs: list) -> None:
        for k, job in enumerate(jobs, start=1):
            tag = f"[{k}/{len(jobs)} {job.run_id}]"
            events = [e for e in job.events if e["kind"] == "epoch"]
            for event in events[seen.get(job.run_id, 0):]:
                print(f"{tag} ", end="", file=sys.stderr)
                _progress(event)
            seen[job.run_id] = len(events)
            if job.state not in ("queued", "running") and job.run_id not in told:
                told.add(job.run_id)
                print(f"{tag} {job.cfg.summary()}: {stored if job.cached else job.state}", file=sys.stderr,
                      flush=True)

    jobs = _run(trainer, configs, args.retrain, progress)
    runs = [sweep.run_record(job) for job in jobs]
    failed = [r for r in runs if r["state"] != "done"]
    extra = after() if after is not None and not failed else {}
    if args.json:
        print(json.dumps({**head, "runs": runs, **extra}))
    else:
        for run in runs:
            scores = ", ".join(f"{k} {v:.4g}" for k, v in run["metrics"].items()) or run.get("error", run["state"])
            print(f"{run['run_id']} {stored if run['cached'] else run['state']}: "
                  f"{RunConfig.from_dict(run['config']).summary()}: {scores}")
    for r in failed:
        print(f"error: run {r['run_id']} {r['state']}: {r.get('error', '')}", file=sys.stderr)
    return 1 if failed or any(isinstance(v, dict) and v.get("ok") is False for v in extra.values()) else 0


def _checked(configs: list) -> None:
    """Refuses (a ValueError: exit 2) a run too big for this machine, or a backend that cannot start, before
    anything runs."""
    for cfg in configs:
        budget.check(cfg)
    backend.check(import_keras=False)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Trains (or loads) every config of the grid through the Trainer; one JSON object with all the runs."""
    from rnnviz.training import sweep  # lazy: pandas (~0.4 s); presets, runs and --help must not wait for it

    try:
        base = config_from_args(args)
        vary, configs = sweep.from_items(base, args.vary)
        _checked(configs)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return _train_all(configs, args, f"sweep of {sweep.to_text(vary)}", {"vary": vary}, "loaded from store")


def cmd_runs(args: argparse.Namespace) -> int:
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


def cmd_prefetch(args: argparse.Namespace) -> int:
    unknown = [n for n in args.datasets if n not in PREFETCH_NAMES]
    if unknown:
        print(f"error: `prefetch` knows the data sets {', '.join(PREFETCH_NAMES)}. Received: "
              f"{env.cut(', '.join(unknown))}", file=sys.stderr)
        return 2
    with contextlib.redirect_stdout(sys.stderr):
        rows = datasets.prefetch(args.datasets or list(PREFETCH_NAMES),
                                 progress=lambda line: print(line, file=sys.stderr))
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            how = "downloaded" if row["downloaded"] else "already there"
            print(f"{row['dataset']}: {row['path']} ({row['bytes'] / 1e6:.1f} MB, {how})")
    return 0
