"""Streamlit helpers of the Lesson page: the lesson and step from the URL, the locked settings, the "predict before
you see" question, the class's answers (counted for every session of the server), and each view's chart."""

from __future__ import annotations

import threading

import streamlit as st

from rnnviz.config import vocab
from rnnviz.inspect import readout, samples
from rnnviz.learn import lessons as lesson
from rnnviz.plots import lesson as lesson_views
from rnnviz.plots import predictions as prediction_plots
from rnnviz.plots import states as state_plots
from rnnviz.training.jobs import ACTIVE
from rnnviz.ui import adding as memory
from rnnviz.ui import probes as ui_probes
from rnnviz.ui import roles, shared
from rnnviz.ui.core import DATA_NAMES, data_dir, show_error, trainer

LABELS = {"units": "Units", "radius": "Spectral radius of U", "steps": "Steps", "input_scale": "Input strength",
          "seed": "Seed", "forget_bias": "Forget-gate bias", "input_size": "Input size", "cell": "Cell"}
"""A setting's name as people read it, on its locked control."""
REFRESH_SECONDS = 3.0
"""How often an answered step redraws the class's answers while students keep answering."""


@st.cache_data(max_entries=16)
def _read(path: str, mtime: float) -> lesson.Lesson:
    return lesson.read(path)  # `mtime`: a teacher's edit is read again at once


def load(name: str) -> lesson.Lesson:
    """The lesson named `name` (cached until its file changes).

    Raises:
        lesson.LessonError: an unknown name or an invalid file (the message names the file, line and fix).
    """
    path = lesson.available().get(name)
    if path is None:
        return lesson.find(name)  # raises, naming the known lessons
    return _read(str(path), path.stat().st_mtime)


@st.cache_resource
def _tally(path: str) -> lesson.Tally:
    return lesson.Tally(path)


def tally() -> lesson.Tally:
    """The server's answer counter (one per run store, shared by every session)."""
    return _tally(str(lesson.Tally().path))


def step_number(n_steps: int) -> int:
    """The 1-based step from the URL's `step` (1 when missing; a bad value is named and replaced)."""
    text = st.query_params.get("step", "1")
    try:
        k = int(text)
    except ValueError:
        k = 0
    if not 1 <= k <= n_steps:
        st.warning(f"`step` must be a whole number from 1 to {n_steps}. Received: step={text[:40]!r}; "
                   "showing step 1.")
        k = 1
    st.query_params["step"] = str(k)
    return k


class _Lead:
    """Where the unlocked teacher is in each lesson (one per server process, shared by every session)."""

    def __init__(self) -> None:
        self._lock, self._steps = threading.Lock(), {}

    def set(self, name: str, k: int) -> None:
        with self._lock:
            self._steps[name] = k

    def get(self, name: str) -> int | None:
        with self._lock:
            return self._steps.get(name)


@st.cache_resource
def lead() -> _Lead:
    """The teacher's step in each lesson, for students to follow."""
    return _Lead()


def follow_the_teacher(name: str, k: int, n_steps: int) -> None:
    """Classroom mode: the teacher's session records its step; a student's page moves to the teacher's step
    whenever the teacher moves (checked every `REFRESH_SECONDS`). A student may still look back: a step the
    teacher has not left is not forced again. Without a teacher key nobody leads."""
    if not roles.classroom_mode():
        return
    if roles.is_teacher():
        lead().set(name, k)
        return

    @st.fragment(run_every=REFRESH_SECONDS)
    def poll() -> None:
        where = lead().get(name)
        if where is None or st.session_state.get(f"lesson_followed/{name}") == where:
            return
        st.session_state[f"lesson_followed/{name}"] = where  # followed once; looking back is the student's
        if 1 <= where <= n_steps and where != int(st.query_params.get("step", "0") or 0):
            go_to(name, where)
            st.rerun(scope="app")

    poll()


def go_to(name: str, k: int) -> None:
    """Opens step `k` of lesson `name` (a button's callback): the URL changes, so it is a link to that step."""
    st.query_params.from_dict({"lesson": name, "step": str(k)})


def locked(step: lesson.Step, key: str) -> None:
    """The step's settings, folded away under one line that names their values (the question stays near the top,
    on a phone too); unfolded, they are disabled controls: students see the values the lesson fixed and cannot
    move them."""
    spec = lesson.VIEWS[step.view].settings
    shown = [n for n, rule in spec.items() if not isinstance(rule, str)]
    if not shown and not step.runs:
        return
    values = [f"{LABELS.get(n, n)} {step.settings[n]:g}" if isinstance(step.settings[n], (int, float))
              else f"{LABELS.get(n, n)} {step.settings[n]}" for n in shown]
    values += [vocab.run_label(cfg) for cfg in step.runs]
    with st.expander(f":material/lock: Locked by the lesson: {' · '.join(values)}", expanded=False):
        if shown:
            cols = st.columns(len(shown))
            for col, name in zip(cols, shown):
                rule, value = spec[name], step.settings[name]
                if isinstance(rule[0], str):
                    col.radio(LABELS.get(name, name), list(rule), index=list(rule).index(value), disabled=True,
                              key=f"{key}_{name}")
                else:
                    col.slider(LABELS.get(name, name), rule[0], rule[1], value, disabled=True, key=f"{key}_{name}")
        for cfg in step.runs:
            st.caption(f":material/lock: **{vocab.run_label(cfg)}** ({DATA_NAMES[cfg.data.name]}: {cfg.summary()})",
                       help=f"run id {cfg.run_id}, as `prepare-lesson` prints it")


VOTER_COOKIE = roles.COOKIE
"""The cookie holding this browser's random id, so a reload (a new session) is not a new vote (`rnnviz.ui.roles`)."""
voter = roles.voter


def _lock_in(lsn: lesson.Lesson, k: int) -> None:
    """The Lock-in button's callback: counts this browser's pick (before the page redraws, so it shows locked)."""
    pick = st.session_state.get(f"lesson_pick_{lsn.name}_{k}")
    if pick is not None and f"lesson_answer/{lsn.name}/{k}" not in st.session_state:
        try:
            if not st.session_state.get("lesson_rehearsal"):  # prepare-lesson's pre-flight is not a student
                tally().vote(lsn.name, k - 1, voter(), int(pick))
        except OSError as e:  # a full or read-only disk: the answer stays open to lock in again
            st.session_state["lesson_vote_error"] = f"Your answer could not be counted ({e.strerror or e}); try again."
            return
        st.session_state[f"lesson_answer/{lsn.name}/{k}"] = int(pick)


def question(lsn: lesson.Lesson, k: int, step: lesson.Step) -> int | None:
    """The step's question; once answered (and counted) the answer is fixed, also after a reload (the browser's
    earlier vote). Returns it (0-based) or None."""
    key = f"lesson_answer/{lsn.name}/{k}"
    if key not in st.session_state and (earlier := tally().mine(lsn.name, k - 1, voter())) is not None \
            and earlier < len(step.choices):
        st.session_state[key] = earlier
    if error := st.session_state.pop("lesson_vote_error", None):
        st.error(error)
    mine = st.session_state.get(key)
    st.subheader(f":material/help: Predict before you see: {step.question}")
    pick = st.radio("Your answer", range(len(step.choices)), format_func=lambda i: step.choices[i],
                    index=mine, disabled=mine is not None, key=f"lesson_pick_{lsn.name}_{k}")
    if mine is None:
        st.button("Lock in my answer", type="primary", disabled=pick is None, key=f"lesson_lock_{lsn.name}_{k}",
                  on_click=_lock_in, args=(lsn, k))
    return mine


def verdict(step: lesson.Step, mine: int) -> None:
    """Right or not, and the explanation."""
    right = step.choices[step.answer]
    if mine == step.answer:
        st.success(f"Right: **{right}**. {step.explanation}")
    else:
        st.info(f"The answer is **{right}**. {step.explanation}")


def class_answers(lsn: lesson.Lesson, k: int, step: lesson.Step, mine: int) -> None:
    """The class's answers as a bar chart (right one marked), redrawn every few seconds as answers come in."""
    @st.fragment(run_every=REFRESH_SECONDS)
    def chart() -> None:
        counts = tally().counts(lsn.name, k - 1, len(step.choices))
        st.plotly_chart(_answers_figure(tuple(step.choices), tuple(counts), step.answer, mine),
                        width="stretch", key=f"lesson_answers_{k}")

    chart()
    if not roles.is_teacher():  # classroom mode: only the teacher's session clears answers
        return
    with st.expander("For the teacher"):
        st.caption("Answers are counted on the server, one per browser (a reload does not vote again), for everyone "
                   "on this lesson.")
        if problem := tally().problem():
            st.warning(problem, icon=":material/report:")
        left, right = st.columns(2)
        if left.button("Clear this step's answers (a new class)", key=f"lesson_clear_{k}"):
            tally().clear(lsn.name, k - 1)
        if right.button("Reset the whole lesson (every step's answers)", key=f"lesson_reset_{k}"):
            tally().reset(lsn.name)


@st.cache_resource(max_entries=32, show_spinner="Computing…")
def _figure(view: str, items: tuple):
    """Shared read-only by every session (`rnnviz.ui.shared`: each session styles a copy)."""
    return lesson_views.FIGURES[view](dict(items))


@st.cache_resource(max_entries=64)
def _answers_figure(choices: tuple, counts: tuple, answer: int, mine: int):
    """The class's answers chart, shared by every session with the same counts and answer (it is redrawn every
    `REFRESH_SECONDS` in every student's page)."""
    return lesson_views.answers_figure(list(choices), list(counts), answer, mine)


FIGURE_NOTES = {"for_loop": "Largest difference, numpy loop vs Keras: **{:.1e}**",
                "forgetting": "Gradient gain left at the last step back: **{:.2e}**",
                "cell_path": "Largest share left along the LSTM's cell path at the last step back: **{0:.0%}** "
                             "(a gain of {0:.3f})",
                "gates": "Mean of the keep gate (LSTM f, GRU z, MGU 1 − f): **{:.2f}**"}


def show(lsn: lesson.Lesson, step: lesson.Step, k: int) -> None:
    """The step's chart: drawn from its locked settings, or from its stored runs (never trained here unasked)."""
    if step.view in FIGURE_NOTES:
        fig, value = _figure(step.view, tuple(sorted(step.settings.items())))
        st.plotly_chart(fig, width="stretch", key=f"lesson_view_{k}")
        st.markdown(FIGURE_NOTES[step.view].format(value))
        return
    runs = [shared.stored_run(c.run_id) for c in step.runs]  # read once per server, shared by every session
    missing = [c for c, run in zip(step.runs, runs) if run is None]
    if missing:
        _not_prepared(lsn, missing)
        return
    (_race if step.view == "race" else _review)(runs, step, k)


def warm(lsn: lesson.Lesson) -> None:
    """Computes every step's shared charts and data once per server, before anyone reveals them: the first session
    to open the lesson (usually the teacher's, before class) waits for it, under a spinner; the others find them
    ready (30 students revealing a cold step at once all waited for its first computation). A step whose runs or
    data are missing is skipped: opening it shows what is missing (and a run trained later is drawn when first
    revealed)."""
    _warmed(lsn.name, lsn)  # keyed by the name alone: this runs on every page run and reads no file


@st.cache_resource(max_entries=8, show_spinner="Preparing the lesson's charts for the class…")
def _warmed(name: str, _lsn: lesson.Lesson) -> bool:
    for step in _lsn.steps:
        try:
            if step.view in FIGURE_NOTES:
                _figure(step.view, tuple(sorted(step.settings.items())))
                continue
            runs = [shared.stored_run(c.run_id) for c in step.runs]
            if not runs or None in runs:
                continue
            if step.view == "race":
                shared.race(runs)
                if all(memory.is_memory(r.config) for r in runs):
                    memory.looked_at(runs)
            elif (vocab := ui_probes.vocabulary(runs[0].config, quiet=True)) is not None:  # (nothing drawn here)
                _review_chart(runs[0], vocab, step.settings["text"])
        except Exception:  # noqa: BLE001 (a step that cannot be drawn says why when it is opened)
            continue
    return True


def _not_prepared(lsn: lesson.Lesson, missing: list) -> None:
    """Names the runs that are not stored yet, with the command that prepares them, and an offer to train here."""
    st.warning("This step's runs are not stored yet: " + ", ".join(f"**{c.summary()}**" for c in missing)
               + f". Before class, run `python -m rnnviz prepare-lesson {lsn.name}`; then every student loads "
               "them at once.")
    if roles.is_teacher() and st.button("Train them on this server now (everyone waits in one queue)",
                                        key="lesson_train_missing"):
        try:
            for cfg in missing:
                trainer().submit(cfg, data_dir=data_dir(), owner=roles.owner())
        except ValueError as e:
            show_error(e, "Starting the training")

    @st.fragment(run_every=1.0)
    def progress() -> None:
        jobs = [j for j in (trainer().get(c.run_id) for c in missing) if j is not None]
        for job in jobs:
            fraction, text = job.progress()
            st.progress(fraction, text=f"{job.cfg.summary()}: {text}" + (f" ({job.error})" if job.error else ""))
        if jobs and all(j.state == "done" for j in jobs):
            st.rerun(scope="app")
        if not any(j.state in ACTIVE for j in jobs):
            st.caption("Nothing is training for this step.")

    progress()


def _race(runs: list, step: lesson.Step, k: int) -> None:
    """The runs' loss curves by epoch side by side (with the adding problem's baseline), and the table."""
    summary, fig, table = shared.race(runs)  # built once per server for these runs' files (read-only)
    st.markdown(summary)  # (no parameter-matching control on the lesson page)
    st.plotly_chart(fig, width="stretch", key=f"lesson_race_{k}")  # styled for this session on a copy
    memory.baseline_caption(runs)
    st.table(table)
    if all(memory.is_memory(r.config) for r in runs):  # the answer is known: where did each run look?
        st.markdown("**What did it look at?** How much each run's answer moves when the value at a step changes: "
                    "the share on the two marked steps, epoch by epoch.")
        memory.connectivity_view(runs, f"lesson_looked_{k}", detail=False)


def _review(runs: list, step: lesson.Step, k: int) -> None:
    """The run reads the student's review: P(positive) after each word, and the verdict."""
    run = runs[0]
    cfg = run.config
    vocab = ui_probes.vocabulary(cfg)
    if vocab is None:
        st.error("The IMDB word index (`imdb_word_index.json`) is needed to encode text. Put it in the data "
                 "folder (Home page) or run `python -m rnnviz prefetch imdb` on a machine with internet.")
        return
    text = st.text_area("Your review (edit it, then Ctrl+Enter)", step.settings["text"], key=f"lesson_review_{k}")
    enc = samples.encode_review(vocab, text, cfg.data)
    probes, out = ui_probes.probe_ids(run.run_id, run.info["created"], None, tuple(int(i) for i in enc.ids))
    st.metric("Verdict", "positive" if out >= 0.5 else "negative", f"P(positive) = {out:.3f}", delta_color="off",
              delta_arrow="off")
    model = ui_probes.model_at(run.run_id, run.info["created"], None)
    if (problem := readout.readout_problem(model)) is not None:
        st.caption(f"No word-by-word verdict for this model: {problem}")
        return
    st.plotly_chart(_review_chart(run, vocab, text), width="stretch", key=f"lesson_review_chart_{k}")


def _review_chart(run, vocab, text: str):
    """The review's P(positive) chart for `run` (shared: `_review_figure`)."""
    enc = samples.encode_review(vocab, text, run.config.data)
    return _review_figure(run.run_id, run.info["created"], tuple(int(i) for i in enc.ids),
                          samples.step_axis_title(run.config), _words=vocab.decode(enc.ids))


@st.cache_resource(max_entries=64)
def _review_figure(run_id: str, created: str, ids: tuple, axis: str, _words: list):
    """P(positive) after each word of a review, shared read-only by every session reading the same review with the
    same run (the lesson's text, for the whole class: `rnnviz.ui.shared`)."""
    probes, _ = ui_probes.probe_ids(run_id, created, None, ids)
    model = ui_probes.model_at(run_id, created, None)
    p = probes[-1]
    steps = samples.visible_steps(None if p.mask is None else p.mask[0], p.inputs.shape[1])
    ticks = state_plots.step_ticks(steps - steps[0] if len(steps) < p.inputs.shape[1] else steps,
                                   [_words[s] for s in steps])
    curve = readout.class_probabilities(readout.readout_over_time(model, probes))[0, steps]
    return prediction_plots.readout_figure(curve, ticks, ["negative", "positive"], None, axis,
                                           "P(positive) had the review ended after each word")
