"""The Lesson page under Streamlit's AppTest: a locked step, an answer that reveals the chart and is counted for the
class, the step buttons in the URL, a bad lesson file named on the page, and prepare-lesson then a stored load."""

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz import cli
from rnnviz.learn import lessons as lesson
from test_lesson import TINY, TINY_RUN, write

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def home(rnnviz_home):
    write(rnnviz_home / "lessons", TINY)
    st.cache_resource.clear()
    st.cache_data.clear()
    return rnnviz_home


def open_step(step: int, lesson_name: str = "tiny", **extra) -> AppTest:
    """A new session (a student's browser) on the Lesson page at `?lesson=...&step=...`."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/lesson.py")
    at.query_params.update({"lesson": lesson_name, "step": str(step), **extra})
    return at.run()


def answer(at: AppTest, choice: int) -> AppTest:
    at.radio(key=f"lesson_pick_tiny_{at.query_params['step']}").set_value(choice).run()
    return at.button(key=f"lesson_lock_tiny_{at.query_params['step']}").click().run()


def answers_bar(at: AppTest) -> list[int]:
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "class's answers" in c.proto.spec)
    return spec["data"][0]["x"]


def test_a_locked_step_shows_the_lessons_values_and_no_chart_before_the_answer(home):
    at = open_step(1, units="64")  # a value typed into the URL does not unlock anything
    assert not at.exception, at.exception
    sliders = {s.key.removeprefix("lesson_set_tiny_1_"): s for s in at.slider}
    assert {k: s.value for k, s in sliders.items()} == {"units": 4, "radius": 0.9, "steps": 20, "input_scale": 0.5,
                                                        "seed": 0}
    assert all(s.disabled for s in sliders.values())
    assert not at.sidebar.slider and not at.sidebar.radio  # no config sidebar to change them with
    assert not at.get("plotly_chart")  # predict before you see
    assert "Lock in your answer" in at.info[0].value
    assert at.button(key="lesson_lock_tiny_1").disabled  # nothing picked yet


def test_an_answer_reveals_the_chart_and_is_counted_for_the_class(home):
    alice = answer(open_step(1), 0)  # the wrong one
    assert not alice.exception, alice.exception
    names = [t.get("name") for c in alice.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    assert "matrix alone: ‖Uⁿ‖" in names  # the step's chart, now shown
    assert answers_bar(alice) == [1, 0]
    assert "The answer is **little**" in alice.info[0].value
    assert alice.radio(key="lesson_pick_tiny_1").disabled  # the answer is locked in
    bob = answer(open_step(1), 1)  # another session: the right one
    assert "Right: **little**" in bob.success[0].value
    assert answers_bar(bob) == [1, 1]
    assert answers_bar(alice.run()) == [1, 1]  # alice sees bob's answer too: counted on the server
    assert lesson.Tally(home / "lesson_answers.json").counts("tiny", 0, 2) == [1, 1]


def test_the_step_buttons_move_through_the_url_and_a_bad_step_is_named(home):
    at = open_step(99)
    assert "`step` must be a whole number from 1 to 2. Received: step='99'" in at.warning[0].value
    assert at.button(key="lesson_prev").disabled and at.query_params["step"] == "1"
    at.button(key="lesson_next").click().run()
    assert at.query_params["step"] == "2" and at.header[0].value == "Race"
    assert at.button(key="lesson_next").disabled
    at.button(key="lesson_prev").click().run()
    assert at.query_params["step"] == "1" and at.header[0].value == "Forgetting"


def test_a_bad_lesson_file_is_named_on_the_page(home):
    write(home / "lessons", TINY.replace("answer = 2", "answer = 7"), name="broken")
    at = open_step(1, "broken")
    assert not at.exception
    assert "broken.toml, line 10: step 1 (Forgetting), `answer`" in at.error[0].value
    picker = open_step(1, "")  # no lesson named: the list, with the broken one's message beside the good ones
    assert any(b.key == "lesson_open_tiny" for b in picker.button) and "broken.toml" in picker.error[0].value


@pytest.mark.slow  # trains two tiny runs: about 10-25 s with the Keras import
def test_prepare_lesson_then_the_page_loads_the_stored_runs(home, capsys):
    before = answer(open_step(2), 1)
    assert "prepare-lesson tiny" in before.warning[0].value  # not prepared: the page says how, trains nothing
    assert cli.main(["prepare-lesson", "tiny"]) == 0
    capsys.readouterr()
    st.cache_resource.clear()
    at = answer(open_step(2), 1)
    assert not at.exception, at.exception
    assert not at.warning  # loaded from the store
    table = at.table[0].value  # the lesson's compact table (the baseline is in the caption and on the chart)
    assert len(table) == 2 and list(table.columns) == ["best validation MSE", "best at epoch"]
    assert "baseline MSE" in " ".join(c.proto.spec for c in at.get("plotly_chart"))
    # "what did it look at?": the share on the marked steps per epoch, both runs on one chart, and their numbers
    shares = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "marked steps" in c.proto.spec)
    assert len([t for t in shares["data"] if t.get("mode") == "lines+markers"]) == 2
    sentence = next(m.value for m in at.markdown if "share of the answer's gradient on the marked steps" in m.value)
    assert sentence.count("%**") == 2 and "Spread evenly it would be" in sentence
    from rnnviz.ui.core import trainer

    for cfg in (TINY_RUN.replace(cell="simple_rnn"), TINY_RUN.replace(cell="gru")):  # nothing queued or trained
        job = trainer().get(cfg.run_id)
        assert job is None or job.cached


def test_prepare_lesson_preflight_names_the_step_that_breaks(home, capsys, monkeypatch):
    """Issue 22 item 4: every step is opened in both modes with an answer locked in; a step that fails is named
    and the exit is 1 (the rehearsal's answers are not counted for the class)."""
    from rnnviz.ui import lesson as lesson_ui

    assert cli.main(["prepare-lesson", "tiny", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["preflight"] == {"ok": True, "problems": []}
    assert "step 2 (" in err and "projector mode: ok" in err
    assert lesson.Tally().counts("tiny", 0, 3) == [0, 0, 0]  # a rehearsal is not a student

    def broken(*args):
        raise RuntimeError("the race view broke")

    monkeypatch.setattr(lesson_ui, "_race", broken)
    st.cache_data.clear()
    assert cli.main(["prepare-lesson", "tiny", "--json"]) == 1
    out, err = capsys.readouterr()
    problems = json.loads(out)["preflight"]["problems"]
    assert len(problems) == 2 and all(p.startswith("step 2 (") and "the race view broke" in p for p in problems)
    assert "error: pre-flight: step 2 (" in err


def test_preflight_names_a_step_whose_data_the_server_cannot_find(rnnviz_home):
    from rnnviz.ui import preflight

    problems = preflight.data_problems(lesson.find("memory"), None)  # no data folder, an empty Keras cache
    assert [p.step for p in problems] == [5]
    assert "imdb files were not found" in problems[0].line(lesson.find("memory"))
    assert "step 5 (Your own review)" in problems[0].line(lesson.find("memory"))


def test_a_path_or_a_long_name_is_no_lesson_and_one_bad_file_leaves_the_others_usable(home, tmp_path):
    elsewhere = write(tmp_path / "elsewhere", TINY.replace('title = "Tiny"', 'title = "Secret"'), name="secret")
    for name in (str(elsewhere), ".streamlit/config.toml", "x" * 5000):
        at = open_step(1, name)
        assert not at.exception, at.exception
        assert len(at.error) == 1 and "Known lessons: memory, tiny." in at.error[0].value
        assert str(home) not in at.error[0].value and str(lesson.BUILT_IN) not in at.error[0].value  # no folders
        assert "Secret" not in str(at.header) and not at.radio  # the file elsewhere was not read
    write(home / "lessons", TINY.replace('view = "race"', 'view = ["race"]'), name="listed")
    picker = open_step(1, "")
    assert not picker.exception, picker.exception
    assert {"lesson_open_tiny", "lesson_open_memory"} <= {b.key for b in picker.button}
    assert len(picker.error) == 1 and "Lesson **listed** cannot be used" in picker.error[0].value


def test_a_damaged_answers_file_is_named_once_and_a_wrong_typed_entry_never_fails_lock_in(home):
    path = home / "lesson_answers.json"
    path.write_text(json.dumps({"tiny/0": {"someone": "third", "other": [1, 2, 3]}}))  # wrong-typed entries
    at = answer(open_step(1), 1)
    assert not at.exception, at.exception
    assert answers_bar(at) == [0, 1]
    path.write_text('{"version": 2, "votes": {"tiny/0": {"x": [0, 1')  # truncated
    bob = answer(open_step(1), 0)
    assert not bob.exception, bob.exception
    assert answers_bar(bob) == [1, 1]  # the earlier answer kept
    notes = [w.value for w in bob.warning if "set aside" in w.value]  # one line, for the teacher
    assert len(notes) == 1 and "lesson_answers.json.damaged-" in notes[0]
    assert len(list(home.glob("lesson_answers.json.damaged-*"))) == 1


def test_a_second_session_shares_the_races_runs_and_figure_and_a_retrain_reads_them_again(home, monkeypatch):
    """Issue 21 item 7: what every student computes alike is computed once per server. A second session's race
    step reads no run and builds no figure; a retrained run (new files) is read again and its figure rebuilt."""
    from rnnviz.store import RunStore
    from rnnviz.training.jobs import train_and_store
    from rnnviz.ui import shared

    configs = [TINY_RUN.replace(cell="simple_rnn"), TINY_RUN.replace(cell="gru")]
    for cfg in configs:
        train_and_store(cfg, RunStore())
    loads, built = [], []
    read, draw = RunStore.load, shared.plots.compare_figure
    monkeypatch.setattr(RunStore, "load", lambda self, run_id, verify=False: loads.append(run_id) or read(
        self, run_id, verify))
    monkeypatch.setattr(shared.plots, "compare_figure", lambda *a, **k: built.append(1) or draw(*a, **k))

    def race(at: AppTest) -> str:
        assert not at.exception, at.exception
        return next(c.proto.spec for c in at.get("plotly_chart") if "baseline MSE" in c.proto.spec)

    first = race(answer(open_step(2), 1))
    assert sorted(set(loads)) == sorted(c.run_id for c in configs) and len(built) == 1
    loads.clear()
    assert race(answer(open_step(2), 0)) == first  # another student: the same chart, nothing read or built
    assert loads == [] and len(built) == 1
    from rnnviz.plots import theme

    style = theme.styled
    with monkeypatch.context() as m:  # a student in projector mode, dark theme: that session's copy is restyled...
        m.setattr(theme, "styled", lambda fig, projector=False, dark=False: style(fig, projector=True, dark=True))
        assert race(answer(open_step(2), 0)) != first
    assert race(answer(open_step(2), 1)) == first and len(built) == 1  # ...the shared figure is unchanged
    train_and_store(configs[1], RunStore(), retrain=True)  # the teacher retrains one run: new files
    loads.clear()
    race(answer(open_step(2), 1))
    assert configs[1].run_id in loads and configs[0].run_id not in loads and len(built) == 2
