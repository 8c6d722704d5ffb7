"""A real class against one server: simulated students as concurrent sessions (issue 21 item 7).

AppTest runs sessions one after another, so it cannot load a server; this starts `streamlit run app.py` on
127.0.0.1 and connects N students to it at once. With `--client ws` (the default) each student speaks the
browser's own WebSocket protocol (`st_client.py`: the page, the query string, the widgets it sets, its id
cookie, and the timers of `st.fragment(run_every=...)`, polled as a browser polls them) and draws nothing, so a
reply is the server's: timed from the request to the end of the script run. With `--client chromium` each
student is a headless Chromium context (async Playwright) and a reply is timed until the element the student
waits for is shown; on a small machine the browsers then take most of the CPU, so those figures are an upper
bound.

- **(a) the lesson** (`--part a`): N students (default 30) go through the built-in lesson, whose runs must be
  prepared in `--home` (`python -m rnnviz prepare-lesson memory --data-dir ...`): each step is opened (reply:
  the question shown), answered and locked in (reply: the step's chart shown), then the next step (ws: all at
  once, with no time to think: the worst case). Goal: every page reply within 2 s at the 95th percentile, and
  no error.
- **(b) training** (`--part b`): one student starts a 12-run sweep, then 10 students each press Train on their
  own small run. Goal: every single run starts within 3 runs' time (its wait in the queue, against the median
  time one of these runs takes from start to done). Two waits are reported: until a worker takes the run (its
  progress line stops saying "Waiting") and until its first batch is trained (the line shows an epoch).

Both run a classroom server (a teacher key in `--home`; part b makes one), so the app's classroom defaults
apply unless `--workers` is given: 4 trainings at once, each session at most 2 of them. Both report the
server's peak resident memory (VmHWM of the streamlit process).

    python benchmarks/class_load.py --part a --home PREPARED_HOME [--students 30] [--client ws|chromium]
    python benchmarks/class_load.py --part b [--students 10] [--epochs 3] [--workers N] [--client ws|chromium]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import st_client  # noqa: E402
from load import memory_kib, progress_text, settled, streamlit_process  # noqa: E402

from rnnviz.config import CosineData, RunConfig  # noqa: E402
from rnnviz.store import classroom  # noqa: E402
from rnnviz.ui import roles  # noqa: E402
from tests.browser import CHROMIUM, FLAGS  # noqa: E402

QUESTION = "Predict before you see"
CHART = '[data-testid="stPlotlyChart"]'
ERROR = '[data-testid="stException"]'
WAITING = "Waiting"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] if values else float("nan")


async def student_a(browser, url: str, lesson: str, steps: int, replies: list, errors: list, k: int) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        for step in range(1, steps + 1):
            t0 = time.perf_counter()
            await page.goto(f"{url}/lesson?lesson={lesson}&step={step}")
            await page.get_by_role("heading", name=QUESTION).wait_for(timeout=300_000)
            replies.append(("open", step, time.perf_counter() - t0))
            await settled(page, 300_000)
            await page.get_by_role("radiogroup").last.get_by_role("radio").first.check(force=True)
            await settled(page, 300_000)
            t0 = time.perf_counter()
            await page.get_by_role("button", name="Lock in my answer").click()
            await page.locator(CHART).first.wait_for(timeout=300_000)
            replies.append(("reveal", step, time.perf_counter() - t0))
            await settled(page, 300_000)
            if await page.locator(ERROR).count():
                errors.append(f"student {k}, step {step}: an exception on the page")
    except Exception as e:  # a timeout: report it, let the others go on
        errors.append(f"student {k}: {type(e).__name__}: {str(e).splitlines()[0][:100]}")
    finally:
        await context.close()


async def student_a_ws(url: str, lesson: str, steps: int, replies: list, errors: list, k: int,
                       ready: asyncio.Barrier) -> None:
    """One student over the browser's protocol (`st_client`): opens step 1, then on each step picks the first
    answer, locks it in and presses Next, as the lesson page asks. A reply is timed to the end of the server's
    script run; the step's timers (the class's answers every 3 s) poll as in a browser."""
    async with st_client.Session(url, cookie={roles.COOKIE: uuid.uuid4().hex}) as s:
        where = "opening"
        try:
            await ready.wait()
            t = await s.open("lesson", {"lesson": lesson, "step": 1})
            for step in range(1, steps + 1):
                where = f"step {step}"
                if not s.has_text(QUESTION):
                    raise LookupError(f"step {step}: no question on the page")
                replies.append(("open", step, t))
                where = f"step {step}, answering"
                s.set_radio("Your answer", 0)
                await s.rerun()  # the pick (the browser reruns on every widget change)
                t = await s.click("Lock in my answer")
                if not s.count("plotly_chart"):
                    raise LookupError(f"step {step}: no chart after locking in")
                replies.append(("reveal", step, t))
                if step < steps:
                    t = await s.click("Next step")
            if s.exceptions:
                errors.append(f"student {k}: {s.exceptions[0]}")
        except Exception as e:  # a timeout or a missing element: report it, let the others go on
            errors.append(f"student {k}, {where}: {type(e).__name__}: {str(e)[:100]}")


async def part_a_ws(url: str, args) -> dict:
    replies, errors = [], []
    async with st_client.Session(url) as warm:  # imports Keras and loads the runs once, before the class
        await warm.open("lesson", {"lesson": args.lesson, "step": 1})
    ready = asyncio.Barrier(args.students)
    await asyncio.gather(*(student_a_ws(url, args.lesson, args.steps, replies, errors, k, ready)
                           for k in range(args.students)))
    return {"replies": replies, "errors": errors}


async def part_a(url: str, args) -> dict:
    from playwright.async_api import async_playwright

    replies, errors = [], []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            warm = await browser.new_page()  # imports Keras and loads the runs once, before the class
            await warm.goto(f"{url}/lesson?lesson={args.lesson}&step=1")
            await warm.get_by_role("heading", name=QUESTION).wait_for(timeout=300_000)
            await warm.close()
            await asyncio.gather(*(student_a(browser, url, args.lesson, args.steps, replies, errors, k)
                                   for k in range(args.students)))
        finally:
            await browser.close()
    return {"replies": replies, "errors": errors}


async def single_run(browser, url: str, cfg: RunConfig, out: dict, errors: list, k: int, go: asyncio.Event) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 1200})
    page = await context.new_page()
    try:
        await page.goto(f"{url}/train?{urllib.parse.urlencode(cfg.to_query())}")
        await page.get_by_text("has not been trained yet").wait_for(timeout=300_000)
        await settled(page, 300_000)
        await go.wait()
        await asyncio.sleep(0.5 * k)
        t0 = time.perf_counter()
        await page.get_by_role("button", name="Train", exact=True).click()
        started = training = done = None
        while done is None and time.perf_counter() - t0 < 1200:
            text = await progress_text(page)
            now = time.perf_counter() - t0
            if text and WAITING not in text and started is None:
                started = now
            if text.startswith("Epoch") and training is None:
                training = now
            if text.startswith("Done") or await page.get_by_text("Validation RMSE, one step").count():
                done = now
                started = started if started is not None else now
                training = training if training is not None else now
            await asyncio.sleep(0.2)
        out[k] = (started, done, training)
        print(f"  student {k}: started after {started} s, done after {done} s", flush=True)
        if await page.locator(ERROR).count():
            errors.append(f"student {k}: an exception on the page")
    except Exception as e:
        errors.append(f"student {k}: {type(e).__name__}: {str(e).splitlines()[0][:100]}")
    finally:
        await context.close()


def _progress(s: st_client.Session) -> str:
    """The text of the last progress bar that arrived (the live fragment redraws it)."""
    bars = [e.progress.text for e in s.elements if e.WhichOneof("type") == "progress"]
    return bars[-1] if bars else ""


def _done(s: st_client.Session) -> bool:
    return _progress(s).startswith("Done") or s.find("metric", "Validation RMSE, one step") is not None


async def single_run_ws(url: str, cfg: RunConfig, out: dict, errors: list, k: int, go: asyncio.Event) -> None:
    async with st_client.Session(url, cookie={roles.COOKIE: uuid.uuid4().hex}) as s:
        try:
            await s.open("train", cfg.to_query())
            if not s.has_text("has not been trained yet"):
                raise LookupError("the Train page does not offer to train this run")
            await go.wait()
            await asyncio.sleep(0.5 * k)
            t0 = time.perf_counter()
            await s.click("Train")
            started = training = done = None
            seen = []
            while done is None and time.perf_counter() - t0 < 1200:
                text, now = _progress(s), time.perf_counter() - t0
                if not seen or seen[-1] != text:
                    seen.append(text)
                if text and WAITING not in text and started is None:
                    started = now
                if text.startswith("Epoch") and training is None:
                    training = now
                if _done(s):
                    done = now
                    started = started if started is not None else now
                    training = training if training is not None else now
                await asyncio.sleep(0.2)
            out[k] = (started, done, training)
            print(f"  student {k}: started after {started} s, first batch after {training} s, done after {done} s",
                  flush=True)
            if started == done:
                print(f"    (no progress seen before the end: {seen[:6]})", flush=True)
            if s.exceptions:
                errors.append(f"student {k}: {s.exceptions[0]}")
        except Exception as e:
            errors.append(f"student {k}: {type(e).__name__}: {str(e)[:100]}")


async def part_b_ws(url: str, args) -> dict:
    base = RunConfig(data=CosineData(), cell="lstm", units=16, epochs=args.epochs)
    out, errors, go = {}, [], asyncio.Event()
    seeds = ",".join(str(100 + s) for s in range(12))
    async with st_client.Session(url, cookie={roles.COOKIE: uuid.uuid4().hex}) as sweeper:
        await sweeper.open("sweep", f"{urllib.parse.urlencode(base.to_query())}&vary=seed%3D{seeds}")
        students = [asyncio.create_task(single_run_ws(url, base.replace(seed=k + 1), out, errors, k, go))
                    for k in range(args.students)]
        await asyncio.sleep(5)  # the students' pages load
        await sweeper.click("Run the sweep")
        await asyncio.sleep(1)
        go.set()
        await asyncio.gather(*students)
    return {"runs": out, "errors": errors}


async def part_b(url: str, args) -> dict:
    from playwright.async_api import async_playwright

    base = RunConfig(data=CosineData(), cell="lstm", units=16, epochs=args.epochs)
    out, errors, go = {}, [], asyncio.Event()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            sweeper = await (await browser.new_context(viewport={"width": 1280, "height": 1200})).new_page()
            seeds = ",".join(str(100 + s) for s in range(12))
            await sweeper.goto(f"{url}/sweep?{urllib.parse.urlencode(base.to_query())}&vary=seed%3D{seeds}")
            await sweeper.get_by_role("button", name="Run the sweep").wait_for(timeout=300_000)
            await settled(sweeper, 300_000)
            students = [asyncio.create_task(single_run(browser, url, base.replace(seed=k + 1), out, errors, k, go))
                        for k in range(args.students)]
            await asyncio.sleep(5)  # the students' pages load
            await sweeper.get_by_role("button", name="Run the sweep").click()
            await asyncio.sleep(1)
            go.set()
            await asyncio.gather(*students)
        finally:
            await browser.close()
    return {"runs": out, "errors": errors}


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (its children, theirs...), from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=["a", "b"], required=True)
    ap.add_argument("--client", choices=["ws", "chromium"], default="ws",
                    help="ws: each student speaks the browser's protocol (st_client.py), so the figures are the "
                         "server's; chromium: one headless browser context each (the browsers share the CPU)")
    ap.add_argument("--home", help="RNNVIZ_HOME (part a: with the lesson's runs prepared; part b: default a new one)")
    ap.add_argument("--students", type=int, default=None, help="students (default 30 for a, 10 for b)")
    ap.add_argument("--lesson", default="memory")
    ap.add_argument("--steps", type=int, default=5, help="steps each student goes through (part a)")
    ap.add_argument("--epochs", type=int, default=3, help="epochs of each small run (part b)")
    ap.add_argument("--workers", type=int, default=None, help="RNNVIZ_TRAIN_WORKERS: trainings the server runs at "
                                                                "once (default: the app's, 4 in classroom mode)")
    args = ap.parse_args()
    args.students = args.students or (30 if args.part == "a" else 10)
    if args.part == "a" and not args.home:
        ap.error("--part a needs --home: an RNNVIZ_HOME where `prepare-lesson` stored the lesson's runs")
    home = args.home or tempfile.mkdtemp(prefix="rnnviz-class-")
    classroom.ensure_key(Path(home))  # a class's server is locked (`prepare-lesson` made the lesson's key)
    log = Path(tempfile.mkdtemp(prefix="rnnviz-class-log-")) / "server.log"
    t0 = time.perf_counter()
    with streamlit_process(home, args.workers, log) as (url, proc):
        parts = {("a", "ws"): part_a_ws, ("a", "chromium"): part_a, ("b", "ws"): part_b_ws, ("b", "chromium"): part_b}
        result = asyncio.run(parts[args.part, args.client](url, args))
        peak = memory_kib(proc.pid, "VmHWM")
        below = [(memory_kib(p, "VmHWM") or 0, memory_kib(p, "VmRSS") or 0) for p in descendants(proc.pid)]
    wall = time.perf_counter() - t0
    print(f"part {args.part} ({args.client}, {args.workers or 'the default'} training worker(s)): {args.students} "
          f"students, {wall:.0f} s, server peak RSS {peak / 1024:.0f} MiB")
    if below:  # the zygote and the training processes alive at the end (their shared pages count in each)
        print(f"  {len(below)} training process(es) at the end (the zygote included): peak RSS "
              + ", ".join(f"{h / 1024:.0f}" for h, _ in below) + " MiB; now "
              + ", ".join(f"{r / 1024:.0f}" for _, r in below) + " MiB")
    if args.part == "a":
        for kind in ("open", "reveal"):
            times = [t for k, _, t in result["replies"] if k == kind]
            print(f"  {kind:6s} (n={len(times)}): median {statistics.median(times):.2f} s, 95th percentile "
                  f"{percentile(times, 95):.2f} s, max {max(times):.2f} s" if times else f"  {kind}: none")
        for step in sorted({s for _, s, _ in result["replies"]}):
            times = {kind: [t for k, s, t in result["replies"] if k == kind and s == step]
                     for kind in ("open", "reveal")}
            print(f"  step {step}: " + "; ".join(f"{kind} median {statistics.median(v):.2f} s, max {max(v):.2f} s"
                                                for kind, v in times.items() if v))
        every = [t for _, _, t in result["replies"]]
        p95 = percentile(every, 95)
        print(f"  every reply: 95th percentile {p95:.2f} s (goal 2 s: {'met' if p95 <= 2 else 'NOT met'})")
    else:
        runs = list(result["runs"].values())
        # a run whose start was not seen before its end (it went from "Waiting" to "Done" between two of the
        # page's refreshes) has no duration of its own: it is left out of the median
        durations = [d - s for s, d, _ in runs if s is not None and d is not None and d > s]
        one = statistics.median(durations) if durations else float("nan")
        for name, waits in (("taken by a worker", sorted(s for s, _, _ in runs if s is not None)),
                            ("its first batch trained", sorted(t for _, _, t in runs if t is not None))):
            worst = max(waits) if waits else float("nan")
            print(f"  waits until {name}: " + ", ".join(f"{w:.1f}" for w in waits))
            print(f"    worst {worst:.1f} s = {worst / one:.1f} runs' time (goal 3: "
                  f"{'met' if worst <= 3 * one else 'NOT met'})")
        done = sum(d is not None for _, d, _ in runs)
        print(f"  one run takes {one:.1f} s (median from taken to done, {len(durations)} runs seen training); "
              f"finished {done} of {args.students}")
    for e in result["errors"]:
        print(f"  error: {e}")


if __name__ == "__main__":
    main()
