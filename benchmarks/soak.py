"""Soak: many tiny trainings through one server-wide `Trainer`; does the process's memory stay flat?

A server that runs all term trains thousands of runs. The trainer keeps only active jobs and the `keep`
most recently used finished ones (see `rnnviz.training.jobs`), so after a warm-up the resident memory should stay
within about +15% however many runs go through it. Each run is a different tiny cosine config (its own
seed, so its own run id), trained, stored in a temporary run store and then left alone, as a class would.
Prints the RSS after the warm-up and at the end, and their ratio (goal: <= 1.15).

Usage: python benchmarks/soak.py [--runs 300] [--warmup 30] [--keep 16] [--executor thread|process]
                                 [--worker-runs 25]
With the process executor it also prints the training process's RSS (idle, after each run) and its largest.

Measured 2026-11-26 on the 2-core CPU machine (busy), keep 16 (the trainer held 16 jobs throughout):
TensorFlow backend: 1,299 MB after 30 runs, 4,505 MB after 300 (x3.47, +11.9 MB per run): not met. The
growth is Keras-on-TensorFlow's own: a plain `keras.Sequential([Input, LSTM(4), Dense(1)])` built, fitted
for one epoch and deleted in a loop grows +11.6 MB per fit (a Dense-only model +2.8 MB) with
`clear_session()`, `gc.collect()` and `malloc_trim` (keras-team/keras#17458, tensorflow#61791). JAX backend
(`KERAS_BACKEND=jax`, stopped after 150 runs): 1,502 MB after 30, 1,673 after 100, 1,681 after 150 (x1.12).

Measured 2026-11-26 later, same machine (busier: load 5-11), TensorFlow, `--executor process` (the default on
TensorFlow since: each training in a child process replaced every 25 runs, `rnnviz.training.processes`):
- the server built each finished run's model from the child's bytes: 815 MB after 30 runs, 833 after 100,
  852 after 150, 878 after 300 (x1.077, +0.2 MB per run; goal met). The +0.2 MB was that model load
  (`keras.saving.load_model` + `save` in a loop kept 0.22 MB per call), so the store now copies the bytes;
- the store copying the child's bytes (the model built only when a page reads it): 783 MB after 30 runs,
  783 after 100, 783 after 150 (x1.001, 0.0 MB per run);
- the training process itself: 910 MB with 5 runs done, at most 1,135 MB just before its replacement (25 runs);
  server + training process at most 1,919 MB, against 4,505 MB for the server alone with threads at 300 runs.
Per run the process costs about 0.5 s more from the call to the first batch event (median 2.65 s against
2.16 s, 8 runs each, the two executors alternating, default cosine LSTM) and 0.8 s more to the result (5.80 s
against 4.98 s); click-to-first-loss-point in the browser (first batch on the progress line): 3.84 s with
processes, 4.31 s with threads (medians of 4; the noise is larger than the difference).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnviz.config import CosineData, RunConfig  # noqa: E402
from rnnviz.training.jobs import ACTIVE, KEEP_FINISHED, Trainer  # noqa: E402
from rnnviz.store import RunStore  # noqa: E402


def rss_mb() -> float:
    """This process's resident set size in MB (Linux `/proc/self/status`)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def child_rss_mb(trainer) -> float:
    """The RSS of the executor's idle training processes in MB (0 for the thread executor)."""
    total = 0.0
    for pid in getattr(trainer.executor, "pids", lambda: [])():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # replaced a moment ago
            continue
        total += next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--keep", type=int, default=KEEP_FINISHED, help="finished jobs the trainer keeps")
    p.add_argument("--executor", choices=["thread", "process"], help="RNNVIZ_EXECUTOR (default: the app's)")
    p.add_argument("--worker-runs", type=int, help="RNNVIZ_WORKER_RUNS (default: the app's)")
    args = p.parse_args()
    if args.executor:
        os.environ["RNNVIZ_EXECUTOR"] = args.executor
    if args.worker_runs:
        os.environ["RNNVIZ_WORKER_RUNS"] = str(args.worker_runs)
    base = RunConfig(data=CosineData(length=200, window=10), units=4, epochs=1, batch_size=16)
    with tempfile.TemporaryDirectory() as home:
        trainer = Trainer(RunStore(home), keep=args.keep)
        print(f"executor: {trainer.executor.kind}, {trainer.executor.describe()}", flush=True)
        t0, warm, child_peak = time.perf_counter(), None, 0.0
        for k in range(args.runs):
            job = trainer.submit(base.replace(seed=k))
            while job.state in ACTIVE:
                time.sleep(0.01)
            assert job.state == "done", job.error
            trainer.get(job.run_id)  # a page looks at it once
            child_peak = max(child_peak, child_rss_mb(trainer))
            if k + 1 == args.warmup:
                warm, warm_child = rss_mb(), child_rss_mb(trainer)
                print(f"after warm-up ({k + 1} runs): RSS {warm:.0f} MB (training process {warm_child:.0f} MB), "
                      f"{trainer.held()} jobs held", flush=True)
            elif (k + 1) % 25 == 0:
                print(f"{k + 1} runs: RSS {rss_mb():.0f} MB (training process {child_rss_mb(trainer):.0f} MB), "
                      f"{trainer.held()} jobs held, {time.perf_counter() - t0:.0f} s", flush=True)
        end, end_child = rss_mb(), child_rss_mb(trainer)
        print(f"end ({args.runs} runs, {time.perf_counter() - t0:.0f} s): RSS {end:.0f} MB (training process "
              f"{end_child:.0f} MB), {trainer.held()} jobs held, {len(os.listdir(Path(home) / 'runs'))} runs stored")
        print(f"end / after warm-up: {end / warm:.3f} (goal <= 1.15); "
              f"{(end - warm) / (args.runs - args.warmup):.1f} MB per run after the warm-up")
        if child_peak:
            print(f"training process: at most {child_peak:.0f} MB (just before a replacement); server + training "
                  f"process at most {end + child_peak:.0f} MB")
        trainer.executor.shutdown()


if __name__ == "__main__":
    main()
