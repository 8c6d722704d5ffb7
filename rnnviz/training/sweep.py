"""Sweeps: one config, one or two of its fields varied over lists of values, every run an ordinary stored run.

`parse_vary("steps=10,25,50")` reads one `FIELD=V1,V2,...` item; `grid(base, vary)` checks every value through
`RunConfig` (an unknown field or an invalid value is a `ValueError` naming it) and returns the configs of the
grid (at most `MAX_RUNS`); `submit` hands them to the `rnnviz.training.jobs.Trainer` (stored runs load at once, so a
sweep run again is cached); `results` is the tidy table, one row per run: the swept fields, the other config
fields, and the run's metrics (as Ray Tune's and TensorBoard HParams' trial tables are).

Sweeps only talk to the Trainer and its jobs, never to threads: where trainings run is the Trainer's business.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import signal
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from rnnviz.config import RunConfig

MAX_RUNS = 60
MAX_FIELDS = 2
# metrics a sweep is judged by, best first; lower is better for the errors
METRICS = ("val_mse", "val_rmse", "val_perplexity", "val_bpc", "test_accuracy", "val_accuracy")
LOWER_IS_BETTER = ("val_mse", "val_rmse", "baseline_mse", "val_loss", "test_loss", "val_perplexity", "val_bpc",
                   "perplexity_ratio", "baseline_perplexity", "baseline_bpc", "bpc_ratio")


def sweepable(cfg: RunConfig) -> list[str]:
    """The fields a sweep of `cfg` may vary: its data options (e.g. `steps`), then the RunConfig fields."""
    data = [f.name for f in dataclasses.fields(cfg.data)]
    return data + [f.name for f in dataclasses.fields(RunConfig) if f.name != "data"]


def _field_type(cfg: RunConfig, name: str) -> str:
    for obj in (cfg.data, cfg):
        for f in dataclasses.fields(obj):
            if f.name == name and name != "data":
                return getattr(f.type, "__name__", str(f.type))
    raise ValueError(f"`vary` must name a config field or {cfg.data.name} option (one of "
                     f"{', '.join(sweepable(cfg))}). Received: {name!r}")


def _parse_value(kind: str, name: str, text: str) -> Any:
    """One value as the field's type; raises ValueError naming the field and the text."""
    text = text.strip()
    try:
        if kind == "bool":
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        if kind == "int":
            value = float(text)
            if not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "float":
            return float(text)
    except ValueError:
        words = {"bool": "true or false", "int": "a whole number", "float": "a number"}[kind]
        raise ValueError(f"`{name}` must be {words}. Received: {name}={text[:200]!r}") from None
    return text


def parse_vary(item: str, base: RunConfig) -> tuple[str, list[Any]]:
    """Reads `FIELD=V1,V2,...` into the field and its values, typed as the field is (not yet validated).

    Args:
        item: e.g. "steps=10,25,50" or "cell=simple_rnn,lstm,gru" (a dash in the field name may stand for `_`).
        base: the config being swept (its data set decides which data options exist).

    Raises:
        ValueError: naming the malformed item, the unknown field or the unreadable value.
    """
    name, sep, values = item.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name or not values.strip():
        raise ValueError(f"`vary` must look like FIELD=V1,V2,... Received: {item[:200]!r}")
    kind = _field_type(base, name)
    texts = [t for t in values.split(",") if t.strip()]
    if not texts:
        raise ValueError(f"`{name}` needs at least one value. Received: {item[:200]!r}")
    return name, [_parse_value(kind, name, t) for t in texts]


def value_of(cfg: RunConfig, name: str) -> Any:
    """A field's value in a config: a data option (e.g. `steps`) or a RunConfig field."""
    return getattr(cfg.data, name) if hasattr(cfg.data, name) else getattr(cfg, name)


def _with(base: RunConfig, name: str, value: Any) -> RunConfig:
    data_fields = {f.name for f in dataclasses.fields(base.data)}
    return base.replace(**{f"data_{name}" if name in data_fields else name: value})


def grid(base: RunConfig, vary: dict[str, list[Any]]) -> list[RunConfig]:
    """Every combination of the varied values applied to `base`, first field slowest; duplicates dropped.

    Args:
        base: the config every run starts from.
        vary: field -> values (one or two fields), e.g. `{"cell": ["lstm", "gru"], "steps": [10, 50]}`.

    Returns:
        The configs, at most `MAX_RUNS`.

    Raises:
        ValueError: no field, more than `MAX_FIELDS`, an unknown field or an invalid value (named, with the
            rule it breaks), or more than `MAX_RUNS` runs (with the count).
    """
    if not vary:
        raise ValueError("`vary` must name at least one field, e.g. cell=simple_rnn,lstm,gru. Received: nothing")
    if len(vary) > MAX_FIELDS:
        raise ValueError(f"`vary` may name at most {MAX_FIELDS} fields. Received: {', '.join(vary)}")
    for name, values in vary.items():
        _field_type(base, name)
        if not values:
            raise ValueError(f"`{name}` needs at least one value. Received: {name}=")
        for value in values:  # each value on its own first, so the message names it
            _with(base, name, value)
    count = 1
    for values in vary.values():
        count *= len(values)
    if count > MAX_RUNS:
        sizes = " x ".join(str(len(v)) for v in vary.values())
        raise ValueError(f"A sweep may have at most {MAX_RUNS} runs. Received: {sizes} = {count} runs")
    configs: dict[str, RunConfig] = {}
    for combo in itertools.product(*vary.values()):
        cfg = base
        for name, value in zip(vary, combo):
            cfg = _with(cfg, name, value)
        configs.setdefault(cfg.run_id, cfg)
    return list(configs.values())


def from_items(base: RunConfig, items: list[str]) -> tuple[dict[str, list[Any]], list[RunConfig]]:
    """`parse_vary` each `FIELD=V1,...` item, then `grid`.

    Returns:
        The parsed `vary` dict and the grid's configs.

    Raises:
        ValueError: as `parse_vary` and `grid`, or a field named twice.
    """
    parsed = [parse_vary(item, base) for item in items]
    names = [name for name, _ in parsed]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise ValueError(f"`vary` names each field once; list all its values there. Received: {twice} twice")
    vary = dict(parsed)
    return vary, grid(base, vary)


def to_text(vary: dict[str, list[Any]]) -> str:
    """The sweep as one line, `cell=lstm,gru;steps=10,50` (for a link; `from_text` reads it back)."""
    return ";".join(f"{k}={','.join(json.dumps(v) if isinstance(v, bool) else str(v) for v in vs)}"
                    for k, vs in vary.items())


def from_text(text: str) -> list[str]:
    """The `FIELD=V1,...` items of a `to_text` line."""
    return [item for item in text.split(";") if item.strip()]


def submit(trainer, configs: list[RunConfig], data_dir: str | None = None, retrain: bool = False,
           owner: str = "") -> list:
    """Hands every config to the trainer (`Trainer.submit`) for `owner` (a browser session; "" the command
    line); stored runs come back as done jobs (unless `retrain`). The trainer serves owners in turn: runs beyond
    the owner's share of the queue wait for room, none is refused.

    Returns:
        The jobs, in grid order.

    Raises:
        ValueError: a config too big for the memory limit (`rnnviz.models.budget.TooBig`): checked for all of them
            before any is submitted.
    """
    for cfg in configs:
        trainer.check(cfg)
    return [trainer.submit(cfg, retrain=retrain, data_dir=data_dir, owner=owner) for cfg in configs]


def wait(jobs: list, on_progress: Callable[[list], None] | None = None, poll: float = 0.2) -> list:
    """Waits until no job is queued or running, calling `on_progress(jobs)` after each poll. Returns the jobs."""
    from rnnviz.training.jobs import ACTIVE  # lazy: Keras; imported before the backend check (CLI sweep, rnnviz.ui)

    while True:
        if on_progress is not None:
            on_progress(jobs)
        if not any(j.state in ACTIVE for j in jobs):
            return jobs
        time.sleep(poll)


def stop_all(jobs: list, trainer=None, owner: str = "", everyone: bool = False) -> None:
    """Stops `owner`'s interest in every job (`Trainer.stop`: a job others still wait for keeps training), or
    every job for everyone (`everyone`, or no `trainer`: the command line's Ctrl-C). Queued ones never start."""
    for job in jobs:
        if trainer is None:
            job.stop()
        else:
            trainer.stop(job, owner, everyone=everyone)


@contextlib.contextmanager
def sigint_held():
    """Holds Ctrl-C back until the block ends, then raises it (KeyboardInterrupt) if it came; on the main thread
    only (elsewhere it changes nothing). The CLI submits and stops a sweep's runs inside it: a Ctrl-C that landed
    inside `Trainer.submit` left a queued job that nobody stopped."""
    came: list[int] = []
    try:
        before = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    except ValueError:  # not the main thread: nothing to hold
        before = None
    try:
        yield
    finally:
        if before is not None:
            signal.signal(signal.SIGINT, before)
    if came:
        raise KeyboardInterrupt


def run_record(job) -> dict[str, Any]:
    """One run as the CLI prints it: run_id, cached, config, metrics, train_seconds, device, backend, node (the
    machine that trained it), state (and error)."""
    run = job.run
    return {"run_id": job.run_id, "cached": bool(job.cached), "config": job.cfg.to_dict(),
            "metrics": dict(run.metrics) if run is not None else {},
            "train_seconds": run.info.get("train_seconds") if run is not None else None,
            "device": run.info.get("device") if run is not None else None,
            "backend": run.info.get("backend") if run is not None else None,
            "node": run.info.get("node") if run is not None else None,
            "state": job.state, **({"error": job.error} if job.error else {})}


def results(jobs: list, vary: dict[str, list[Any]]) -> pd.DataFrame:
    """The tidy table: one row per run, the swept fields first, then `cell`, every other config field and
    data option, the metrics, `train_seconds`, `node` (which machine trained it), `state`, `cached` and `run_id`.
    """
    rows = []
    for job in jobs:
        rec = run_record(job)
        d = job.cfg.to_dict()
        data = d.pop("data")
        flat = {**{k: v for k, v in data.items() if k != "name"}, "data": data["name"], **d}
        rows.append({**{k: flat[k] for k in vary}, "cell": flat["cell"],
                     **{k: v for k, v in flat.items() if k not in vary and k != "cell"},
                     **rec["metrics"], "train_seconds": rec["train_seconds"], "node": rec["node"],
                     "state": rec["state"],
                     "cached": rec["cached"], "run_id": rec["run_id"]})
    return pd.DataFrame(rows)


def metric_of(df: pd.DataFrame) -> str | None:
    """The metric a sweep's table is judged by (`METRICS` order), or None when no run has finished."""
    return next((m for m in METRICS if m in df.columns and df[m].notna().any()), None)


def best(df: pd.DataFrame, metric: str) -> pd.Series:
    """The best finished run's row by `metric` (lowest error or highest accuracy)."""
    done = df[df[metric].notna()]
    return done.loc[done[metric].idxmin() if metric in LOWER_IS_BETTER else done[metric].idxmax()]
