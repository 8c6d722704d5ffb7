"""A classroom in miniature: 8 browser sessions ask the Train page for trainings at about the same time.

Starts `streamlit run app.py` on 127.0.0.1 with an empty run store, then drives 8 contexts of one headless
Debian Chromium concurrently (async Playwright, one event loop). Each session opens a shared link to a small
cosine config on the Train page (the cosine-lstm preset with few epochs) and presses Train, half a second
after the previous one: sessions 1-6 ask for 6 distinct configs (seeds 1-6), sessions 7 and 8 both ask for
seed 7, which must be one shared training.

Per session (seconds from its click on Train): first progress (the page shows the job's progress bar), queue
wait (the progress text leaves "Waiting in the queue"), time to done (it says "Done"), whether the results
(RMSE metrics) then show, the queue positions seen, and the exceptions shown (`stException`). A session that
says Done without results for 30 s gets a screenshot. Then the server's peak memory (VmHWM of the streamlit
process, /proc/<pid>/status) and the run folders written. A global timeout (default 10 min) ends it and
reports what finished.

    python benchmarks/load.py [--epochs 5] [--workers 1] [--timeout 600] [--stagger 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnnviz.config import presets  # noqa: E402
from rnnviz.config import RunConfig  # noqa: E402
from tests import browser  # noqa: E402
from tests.browser import CHROMIUM, FLAGS  # noqa: E402

WAITING = "Waiting in the queue"
RESULT = "Validation RMSE, one step"  # the Train page's cosine result


@dataclass
class Session:
    """What one browser session asked for and saw (times in seconds from its click on Train)."""

    number: int
    cfg: RunConfig
    clicked: float | None = None
    first_progress: float | None = None  # the page shows a progress bar for the job
    queue_wait: float | None = None
    done: float | None = None  # the progress says "Done"
    results: float | None = None  # the result metrics show
    positions: set[int] = field(default_factory=set)
    final_text: str = ""
    train_time: str = ""
    exceptions: int = 0
    error: str = ""
    last_text: str = ""  # the last progress text seen (where an unfinished session stopped)


@contextlib.contextmanager
def streamlit_process(home: str, workers: int | None, log: Path, timeout: float = 90):
    """`streamlit run app.py` on 127.0.0.1 (`tests.browser.streamlit_process`); yields `(url, Popen)`. `workers`:
    `RNNVIZ_TRAIN_WORKERS` (None: the app's default, 4 in classroom mode, else 1)."""
    env = {"RNNVIZ_OFFLINE": "1", **({"RNNVIZ_TRAIN_WORKERS": str(workers)} if workers else {})}
    with open(log, "wb") as out, browser.streamlit_process(home, timeout, env, out) as (url, proc):
        yield url, proc


def memory_kib(pid: int, field_name: str) -> int | None:
    """A `Vm*` line of /proc/<pid>/status in KiB (VmHWM: peak resident memory; VmRSS: now)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def settled(page, timeout_ms: int = 120_000) -> None:
    """The script run finished (no 'running' status widget)."""
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    await page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


async def progress_text(page) -> str:
    bar = page.locator('[data-testid="stProgress"]')
    try:
        return (await bar.first.inner_text(timeout=1_000)) if await bar.count() else ""
    except Exception:  # the bar was redrawn between the two calls
        return ""


class Start:
    """Releases the clicks once every session has its page loaded (or has given up)."""

    def __init__(self, n: int):
        self.n, self.event = n, asyncio.Event()

    def arrived(self) -> None:
        self.n -= 1
        if self.n <= 0:
            self.event.set()


async def run_session(browser, url: str, s: Session, start: Start, my_turn: asyncio.Event,
                      next_turn: asyncio.Event, stagger: float, poll: float, shots: Path, grace: float = 30) -> None:
    """Opens the link, waits for its turn, presses Train and watches the progress until the results show
    (or until the progress has said "Done" for `grace` seconds without them)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1600})
    arrived = False
    try:
        page = await context.new_page()
        await page.goto(f"{url}/train?{urllib.parse.urlencode(s.cfg.to_query())}")
        await page.get_by_text("has not been trained yet").wait_for(timeout=120_000)
        await settled(page)
        start.arrived()
        arrived = True
        await start.event.wait()
        await my_turn.wait()
        t0 = time.perf_counter()
        await page.get_by_role("button", name="Train", exact=True).click()
        s.clicked = time.time()
        asyncio.get_running_loop().call_later(stagger, next_turn.set)
        while True:
            s.exceptions = max(s.exceptions, await page.locator('[data-testid="stException"]').count())
            text = await progress_text(page)
            s.last_text = text or s.last_text
            if text and s.first_progress is None:
                s.first_progress = time.perf_counter() - t0
            if WAITING in text and "(position " in text:
                s.positions.add(int(text.split("(position ")[1].split(")")[0]))
            if text and WAITING not in text and s.queue_wait is None:
                s.queue_wait = time.perf_counter() - t0
            now = time.perf_counter() - t0
            if text.startswith("Done") and s.done is None:
                s.done = now
            if await page.get_by_text(RESULT).count():
                s.results = now
                s.done = s.done if s.done is not None else now
                s.error += f"; results {now - s.done:.0f} s after Done" if s.error else ""
                break
            if await page.get_by_text("Training failed").count():
                s.error = "training failed"
                break
            if s.done is not None and now - s.done > grace and not s.error:
                running = await page.locator('[data-testid="stStatusWidget"]').count()
                s.error = (f"says Done, but no results {grace:.0f} s later (script "
                           f"{'still running' if running else 'idle'}; screenshot session{s.number}.png)")
                await page.screenshot(path=str(shots / f"session{s.number}.png"))
            if s.done is not None and now - s.done > 3 * grace:
                break  # then watch no longer: does it come right by itself? (see `results`)
            await asyncio.sleep(poll)
        s.queue_wait = s.queue_wait if s.queue_wait is not None else s.done
        await settled(page)
        s.final_text = await progress_text(page)
        metric = page.locator('[data-testid="stMetric"]', has_text="Training time")
        if await metric.count():
            s.train_time = (await metric.first.inner_text()).replace("Training time", "").strip()
        s.exceptions = max(s.exceptions, await page.locator('[data-testid="stException"]').count())
    except asyncio.CancelledError:
        s.error = s.error or f"global timeout (last progress: {s.last_text or 'none'})"
        with contextlib.suppress(Exception):
            await asyncio.shield(page.screenshot(path=str(shots / f"session{s.number}.png"), timeout=5_000))
        raise
    except Exception as e:  # a timeout in one session: report it, let the others go on
        s.error = f"{type(e).__name__}: {str(e).splitlines()[0][:80]}"
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(shots / f"session{s.number}.png"), timeout=5_000)
    finally:
        if not arrived:
            start.arrived()
        if s.clicked is None:
            next_turn.set()
        with contextlib.suppress(Exception):
            await context.close()


async def sample_rss(pid: int, into: list[int]) -> None:
    """Appends the server's resident memory (KiB) every half second."""
    while True:
        if (kib := memory_kib(pid, "VmRSS")) is not None:
            into.append(kib)
        await asyncio.sleep(0.5)


async def drive(url: str, pid: int, sessions: list[Session], stagger: float, poll: float, deadline: float,
                memory: dict, shots: Path) -> bool:
    """All sessions at once in one Chromium; returns False when the global deadline cut them off.

    `memory` gets the server's VmRSS after the warm-up ("warm", KiB) and its samples during the sessions."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            warm = await browser.new_page()
            await warm.goto(url)  # "/" first: a fresh server's first request decides the navigation mode
            await settled(warm)
            await warm.goto(url + "/train")  # imports Keras in the server once, before the sessions
            await warm.get_by_role("button", name="Train", exact=True).wait_for(timeout=120_000)
            await warm.close()
            memory["warm"], memory["samples"] = memory_kib(pid, "VmRSS"), []
            sampler = asyncio.create_task(sample_rss(pid, memory["samples"]))
            start, turns = Start(len(sessions)), [asyncio.Event() for _ in range(len(sessions) + 1)]
            turns[0].set()
            tasks = [asyncio.create_task(run_session(browser, url, s, start, turns[i], turns[i + 1], stagger, poll, shots))
                     for i, s in enumerate(sessions)]
            _, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.monotonic()))
            for t in [*pending, sampler]:
                t.cancel()
            await asyncio.gather(*pending, sampler, return_exceptions=True)
            return not pending
        finally:
            await browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=5, help="epochs of each run (else as the cosine-lstm preset)")
    ap.add_argument("--workers", type=int, default=1, help="RNNVIZ_TRAIN_WORKERS of the server (default 1)")
    ap.add_argument("--timeout", type=float, default=600, help="global timeout in seconds")
    ap.add_argument("--stagger", type=float, default=0.5, help="seconds between two sessions' clicks")
    args = ap.parse_args()

    base = presets.get("cosine-lstm").config.replace(epochs=args.epochs)
    seeds = [1, 2, 3, 4, 5, 6, 7, 7]
    sessions = [Session(i + 1, base.replace(seed=seed)) for i, seed in enumerate(seeds)]
    home = tempfile.mkdtemp(prefix="rnnviz-load-")
    log = Path(home) / "server.log"
    t_start = time.perf_counter()
    deadline, memory = time.monotonic() + args.timeout, {}
    with streamlit_process(home, args.workers, log) as (url, proc):
        memory["started"] = memory_kib(proc.pid, "VmRSS")
        try:
            finished = asyncio.run(asyncio.wait_for(
                drive(url, proc.pid, sessions, args.stagger, 0.2, deadline, memory, Path(home)), args.timeout + 60))
        except asyncio.TimeoutError:  # stuck before the sessions started (warm-up)
            finished = False
        memory["hwm"], memory["end"] = memory_kib(proc.pid, "VmHWM"), memory_kib(proc.pid, "VmRSS")
    wall = time.perf_counter() - t_start
    runs = sorted(p.name for p in (Path(home) / "runs").iterdir() if not p.name.startswith(".")) \
        if (Path(home) / "runs").is_dir() else []
    report(sessions, finished, args, memory, runs, wall, log)


def report(sessions: list[Session], finished: bool, args, memory: dict, runs: list[str], wall: float,
           log: Path) -> None:
    def sec(v):
        return f"{v:.1f}" if v is not None else "-"

    def mib(kib):
        return f"{kib / 1024:.0f} MiB" if kib else "?"

    def spread(values):
        return (f"median {statistics.median(values):.1f} s, max {max(values):.1f} s" if values else "none")

    print(f"\n{len(sessions)} sessions, cosine-lstm preset with {args.epochs} epochs, {args.workers} training "
          f"worker(s), clicks {args.stagger} s apart{'' if finished else '; GLOBAL TIMEOUT reached'}")
    head = ("session", "seed", "run id", "completed", "results", "exceptions", "first progress s", "queue wait s",
            "time to done s", "queue positions", "final progress / training time, or what went wrong")
    rows = [(s.number, s.cfg.seed, s.cfg.run_id, "yes" if s.done is not None else "no",
             "yes" if s.results is not None else "no", s.exceptions, sec(s.first_progress), sec(s.queue_wait),
             sec(s.done),
             ",".join(str(p) for p in sorted(s.positions, reverse=True)) or "-",
             s.error or f"{s.final_text} / {s.train_time}") for s in sessions]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(str(v).rjust(w) if i < len(head) - 1 else str(v) for i, (v, w) in enumerate(zip(r, widths))))

    pair = [s for s in sessions if s.cfg.seed == sessions[-1].cfg.seed]
    shared = (all(s.done is not None for s in pair) and len({s.train_time for s in pair if s.train_time}) <= 1
              and abs(pair[0].clicked + pair[0].done - pair[1].clicked - pair[1].done) < 2.0
              and not any("loaded from the run store" in s.final_text for s in pair))
    done = [s for s in sessions if s.done is not None]
    print(f"\nsummary: {len(done)}/{len(sessions)} completed (results shown in "
          f"{sum(s.results is not None for s in sessions)}), {sum(s.exceptions for s in sessions)} exceptions; "
          f"{len(runs)} runs stored for {len({s.cfg.run_id for s in sessions})} distinct configs; the two seed-"
          f"{pair[0].cfg.seed} sessions shared one training: {'yes' if shared else 'NO'}; first progress "
          f"{spread([s.first_progress for s in done if s.first_progress is not None])}; queue wait "
          f"{spread([s.queue_wait for s in done])}; time to done {spread([s.done for s in done])}; server peak "
          f"memory (VmHWM) {mib(memory.get('hwm'))} (RSS {mib(memory.get('started'))} at start, "
          f"{mib(memory.get('warm'))} after the warm-up page, {mib(memory.get('end'))} at the end); wall {wall:.0f} s; "
          f"server log and screenshots in {log.parent}")


if __name__ == "__main__":
    main()
