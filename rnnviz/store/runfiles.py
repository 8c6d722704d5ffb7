"""The types of a stored run's files, checked whenever a run is read or written (and by run import).

Each check returns the value when it is well-formed and raises `ValueError` naming the file, the field and
the received value (cut short) otherwise, so one damaged run is reported in one line instead of breaking
the pages and commands that list runs.
"""

from __future__ import annotations

from typing import Any

from rnnviz.config import env
from rnnviz.config import RunConfig

# info.json keys every run has (written by the store and the trainer), and their checks
INFO_REQUIRED = ("created", "params", "train_seconds", "device")
BATCH_COLUMNS = ("epoch", "step", "steps")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _numbers(v: Any) -> bool:
    return isinstance(v, list) and all(_is_number(x) for x in v)


def _fail(file: str, field: str, value: Any, rule: str) -> ValueError:
    return ValueError(f"{file}: `{field}` must be {rule}. Received: {field}={env.cut(repr(value), 80)}")


def _object(file: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{file} must hold a JSON object. Received: {env.cut(repr(value), 80)}")
    return value


def _columns(file: str, value: Any) -> dict[str, list[float]]:
    """A JSON object of equally long lists of numbers."""
    lengths = {}
    for key, column in _object(file, value).items():
        if not _numbers(column):
            raise _fail(file, key, column, "a list of numbers")
        lengths[key] = len(column)
    if len(set(lengths.values())) > 1:
        key = next(k for k, n in lengths.items() if n != next(iter(lengths.values())))
        raise _fail(file, key, f"{lengths[key]} values", f"as long as the other lists ({lengths})")
    return value


INFO_CHECKS = {  # key -> (test, rule); keys not named here may hold any JSON value
    "run_id": (lambda v: isinstance(v, str), "a string"),
    "created": (lambda v: isinstance(v, str), "a string (an ISO date)"),
    "summary": (lambda v: isinstance(v, str), "a string"),
    "device": (lambda v: isinstance(v, str), "a string"),
    "backend": (lambda v: isinstance(v, str), "a string"),
    "params": (lambda v: _is_int(v) and v >= 0, "a whole number >= 0"),
    "train_seconds": (lambda v: _is_number(v) and v >= 0, "a number of seconds >= 0"),
    "epoch_seconds": (_numbers, "a list of numbers"),
    "classes": (lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v), "a list of strings"),
    "confusion": (lambda v: isinstance(v, list) and all(isinstance(r, list) and all(_is_int(x) for x in r)
                                                        for r in v), "a list of lists of whole numbers"),
    "files": (lambda v: isinstance(v, dict) and all(isinstance(k, str) and "/" not in k and k not in ("", ".", "..")
                                                    and _is_int(n) and n >= 0 for k, n in v.items()),
              "an object of file name -> size in bytes"),
}


def check_info(info: Any) -> dict[str, Any]:
    """`info.json`: an object with `created`, `params`, `train_seconds` and `device`, each key typed."""
    info = _object("info.json", info)
    for key in INFO_REQUIRED:
        if key not in info:
            raise ValueError(f"info.json lacks `{key}`.")
    for key, (test, rule) in INFO_CHECKS.items():
        if key in info and not test(info[key]):
            raise _fail("info.json", key, info[key], rule)
    return info


def check_metrics(metrics: Any) -> dict[str, float]:
    """`metrics.json`: an object of name -> number."""
    for key, value in _object("metrics.json", metrics).items():
        if not _is_number(value):
            raise _fail("metrics.json", key, value, "a number")
    return metrics


def check_history(history: Any) -> dict[str, list[float]]:
    """`history.json`: an object of equally long per-epoch lists of numbers."""
    return _columns("history.json", history)


def check_batches(batches: Any) -> dict[str, list[float]]:
    """`batches.json`: equally long lists of numbers, with `epoch`, `step`, `steps` and `loss` among them."""
    batches = _columns("batches.json", batches)
    for key in (*BATCH_COLUMNS, "loss"):
        if key not in batches:
            raise ValueError(f"batches.json lacks `{key}`.")
    return batches


def check_parts(parts: dict[str, Any]) -> RunConfig:
    """Checks the `config`, `history`, `metrics` and `info` of a run; returns its config.

    Raises:
        ValueError: naming the file and the field that is wrong.
    """
    try:
        cfg = RunConfig.from_dict(parts["config"])
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise ValueError(f"config.json is not a valid config ({e})") from e
    check_history(parts["history"])
    check_metrics(parts["metrics"])
    check_info(parts["info"])
    return cfg
