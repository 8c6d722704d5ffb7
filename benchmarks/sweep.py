"""Sweep throughput: the memory-span sweep (3 cells x T) through the local pool (1 and 2 workers) and Ray.

The same sweep (`memory-lstm`'s config, `cell=simple_rnn,lstm,gru` x `steps=10,25,50,100` = 12 runs) is
trained three times in one process, each time into an empty run store so nothing is cached: by the local
pool with 1 worker, with 2 workers, and by a local Ray cluster (`ray.init(num_cpus=N)`, one actor per run).
Prints the wall time and runs per minute of each, as ratios to the first, the seconds per run spent outside
Keras's `fit` (building, evaluating, storing; for Ray also the actor's start: a fresh process that imports
Keras), how far each way's validation MSE is from the first's for the same run, and the memory-span table:
best validation MSE per cell and T (the lowest `val_loss` of any epoch; the loss is the MSE) beside the
constant-answer baseline.

The full sweep (12,500 sequences, 64 units, the preset's 9 epochs) takes long on a busy 2-core machine;
shrink it with `--samples`, `--epochs`, `--units` and `--steps`, or run fewer ways with `--ways`, and say
so when quoting it.

Usage: python benchmarks/sweep.py [--samples N] [--epochs N] [--units N] [--steps 10,25,50,100]
                                  [--ways local1,local2,ray] [--ray-cpus 2]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnnviz.training import executors
from rnnviz.training import sweep  # noqa: E402
from rnnviz.training.jobs import Trainer  # noqa: E402
from rnnviz.config.presets import PRESETS  # noqa: E402
from rnnviz.store import RunStore  # noqa: E402


def timed(name: str, trainer: Trainer, configs: list) -> dict:
    """Trains every config through `trainer`; the wall time, the jobs and their table."""
    t0 = time.perf_counter()
    jobs = sweep.wait(sweep.submit(trainer, configs), poll=0.05)
    wall = time.perf_counter() - t0
    failed = [f"{j.run_id}: {j.error}" for j in jobs if j.state != "done"]
    if failed:
        raise SystemExit(f"{name}: {len(failed)} runs failed: {failed[0]}")
    print(f"{name:<24} {wall:7.1f} s  {len(jobs) / wall * 60:6.2f} runs/min", flush=True)
    return {"name": name, "wall": wall, "jobs": jobs, "slots": trainer.executor.slots}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    base = PRESETS["memory-lstm"].config
    p.add_argument("--samples", type=int, default=base.data.samples, help="sequences per run (train + val)")
    p.add_argument("--epochs", type=int, default=base.epochs)
    p.add_argument("--units", type=int, default=base.units)
    p.add_argument("--steps", default="10,25,50,100", help="the values of T")
    p.add_argument("--ray-cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    p.add_argument("--ways", default="local1,local2,ray", help="which of local1, local2, ray to time, in order")
    args = p.parse_args()
    ways = [w.strip() for w in args.ways.split(",") if w.strip()]
    if not ways or set(ways) - {"local1", "local2", "ray"}:
        raise SystemExit(f"--ways must list local1, local2 or ray. Received: {args.ways!r}")
    base = base.replace(data_samples=args.samples, epochs=args.epochs, units=args.units)
    vary, configs = sweep.from_items(base, ["cell=simple_rnn,lstm,gru", f"steps={args.steps}"])
    print(f"sweep of {len(configs)} runs: {sweep.to_text(vary)}; {base.summary()}, {args.samples} sequences")
    results = []
    with tempfile.TemporaryDirectory() as home:
        for way in ways:
            if way.startswith("local"):
                workers = int(way[-1])
                trainer = Trainer(RunStore(Path(home) / way), workers=workers,
                                  executor=executors.LocalExecutor(workers))
                results.append(timed(f"local pool, {workers} worker{'s' * (workers > 1)}", trainer, configs))
                continue
            import ray

            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            t0 = time.perf_counter()
            ray.init(num_cpus=args.ray_cpus, include_dashboard=False, log_to_driver=False)
            print(f"ray.init: {time.perf_counter() - t0:.1f} s (not counted)")
            trainer = Trainer(RunStore(Path(home) / "ray"),
                              executor=executors.RayExecutor(ray, ray.get_runtime_context().gcs_address))
            results.append(timed(f"Ray, {args.ray_cpus} CPUs", trainer, configs))
            ray.shutdown()
    first = results[0]
    print(f"\nas ratios to the {first['name']} (same machine, same run), and seconds per run outside `fit`:")
    for r in results:
        slots = r["slots"]
        outside = (r["wall"] * slots - sum(j.run.info["train_seconds"] for j in r["jobs"])) / len(r["jobs"])
        drift = max(abs(b.run.metrics["val_mse"] - a.run.metrics["val_mse"]) / a.run.metrics["val_mse"]
                    for a, b in zip(first["jobs"], r["jobs"]))
        print(f"  {r['name']:<24} wall x{r['wall'] / first['wall']:.2f}   runs/min x{first['wall'] / r['wall']:.2f}"
              f"   outside fit {outside:5.1f} s/run (x{slots} slots)   val MSE vs first: max {drift:.1e} relative")
    df = sweep.results(first["jobs"], vary)
    df["best_val_mse"] = [min(j.run.history["val_loss"]) for j in first["jobs"]]
    table = df.pivot(index="steps", columns="cell", values="best_val_mse")[["simple_rnn", "lstm", "gru"]]
    table["baseline"] = df.groupby("steps")["baseline_mse"].first()
    print(f"\nmemory span ({first['name']}): best validation MSE per cell and T ({args.epochs} epochs, "
          f"{args.samples} sequences, "
          f"{args.units} units; baseline = always answering the training mean)")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
