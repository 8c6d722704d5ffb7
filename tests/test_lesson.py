"""Lessons as data: the built-in lesson, lesson files that fail with the file, line, step, key and fix named, the
class's answer counter, and the `prepare-lesson` CLI contract."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from rnnviz import cli
from rnnviz.learn import lessons as lesson
from rnnviz.plots import lesson as lesson_views
from rnnviz.config import presets
from rnnviz.config import MemoryData, RunConfig

STEP = """
[[steps]]
title = "Forgetting"
text = "Some text."
view = "forgetting"
question = "How much is left?"
choices = ["most", "little"]
answer = 2
explanation = "Little."
[steps.settings]
units = 4
steps = 20
"""
RACE = """
[[steps]]
title = "Race"
text = "Two tiny runs."
view = "race"
runs = [{data = "memory", steps = 8, samples = 200, units = 3, epochs = 1, batch_size = 32, cell = "simple_rnn"},
        {data = "memory", steps = 8, samples = 200, units = 3, epochs = 1, batch_size = 32, cell = "gru"}]
question = "Who wins?"
choices = ["SimpleRNN", "GRU"]
answer = "GRU"
explanation = "The GRU."
"""
TINY = f'title = "Tiny"\nsummary = "A test lesson."\n{STEP}{RACE}'
TINY_RUN = RunConfig(data=MemoryData(steps=8, samples=200), units=3, epochs=1, batch_size=32)


def write(folder: Path, text: str, name: str = "tiny") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def test_the_built_in_lesson_has_five_steps_through_the_memory_race():
    lsn = lesson.find("memory")
    assert [s.view for s in lsn.steps] == ["for_loop", "forgetting", "cell_path", "race", "review"]
    race = lsn.steps[3]
    assert race.runs == tuple(presets.get(f"memory-{c}").config for c in ("simple-rnn", "lstm", "gru"))
    assert race.choices[race.answer] == "LSTM and GRU, not the SimpleRNN"
    assert lsn.steps[4].runs == (presets.get("imdb-quick").config,)
    assert [c.run_id for c in lsn.configs()] == [c.run_id for c in (*race.runs, *lsn.steps[4].runs)]
    for step in lsn.steps:  # every step has its question, a right answer among its choices, and settings in range
        assert step.question and len(step.choices) >= 2 and 0 <= step.answer < len(step.choices)
        assert set(step.settings) == set(lesson.VIEWS[step.view].settings)


def test_the_built_in_forgetting_answer_holds(rnnviz_home):
    """Step 2's right answer holds for its chart: checked against numpy's matrix power, not the view's code."""
    from rnnviz.learn import forgetting as maths

    s = lesson.find("memory").steps[1].settings
    _, W, U, b = maths.memory_rnn(s["units"], s["radius"], s["steps"], s["input_scale"], s["seed"])
    assert np.linalg.norm(np.linalg.matrix_power(U, 100), 2) == pytest.approx(3.4e-5, rel=0.05)  # the figure
    _, gain = lesson_views.forgetting(s)
    assert gain < 1e-4  # "less than 0.01%"


@pytest.mark.slow  # imports Keras and runs two seeded layers: about 10-25 s on a busy 2-core machine
def test_the_built_in_cell_and_loop_answers_hold():
    lsn = lesson.find("memory")
    _, gain = lesson_views.forgetting(lsn.steps[1].settings)
    _, path = lesson_views.cell_path(lsn.steps[2].settings)
    s = lsn.steps[2].settings
    f = __import__("rnnviz.learn.layers", fromlist=["x"]).cell_gates(
        "lstm", np.random.default_rng(s["seed"] + 1).standard_normal((s["steps"], 1)), s["units"], s["seed"],
        s["forget_bias"])["f"]
    assert path == pytest.approx(np.prod(f, axis=0).max())  # the product of 100 forget gates
    assert 0.01 < path <= 1 and path > 1e6 * gain  # "far more: over 1% survives"
    _, diff = lesson_views.for_loop(lsn.steps[0].settings)
    assert diff < 1e-5  # "equal up to float32 rounding"


def test_a_teachers_lesson_shadows_a_built_in_one_and_runs_are_configs(rnnviz_home):
    write(rnnviz_home / "lessons", TINY.replace('title = "Tiny"', 'title = "Mine"'), name="memory")
    assert lesson.find("memory").title == "Mine"
    lsn = lesson.find("memory")
    assert lsn.configs() == [TINY_RUN.replace(cell="simple_rnn"), TINY_RUN.replace(cell="gru")]
    assert lsn.steps[1].answer == 1  # answer given as the choice's text
    assert lsn.steps[0].settings == {"units": 4, "radius": 0.9, "steps": 20, "input_scale": 0.5, "seed": 0}
    assert lesson.run_config({"preset": "memory-lstm", "epochs": 3, "steps": 20}) == \
        presets.get("memory-lstm").config.replace(epochs=3, data_steps=20)


@pytest.mark.parametrize("text, where", [
    ('title = "x"\n[[steps]]\ntitle = "unclosed\n', "line 3"),  # TOML syntax: tomllib's line
    (TINY.replace("answer = 2", "answer = 3"), "line 10: step 1 (Forgetting), `answer`: must be the right choice's "
                                               "position, 1 to 2"),
    (TINY.replace("units = 4", "unitz = 4"), "line 13: step 1 (Forgetting), `settings.unitz`: is not a setting of"),
    (TINY.replace("steps = 20", "steps = 2000"), "line 14: step 1 (Forgetting), `settings.steps`: must be a whole "
                                                 "number from 10 to 200. Received: 2000"),
    (TINY.replace('view = "race"', 'view = "racing"'), "line 19: step 2 (Race), `view`: must be one of"),
    (TINY.replace("units = 3, epochs", "units = 0, epochs"), "step 2 (Race), `runs`: run 1: `units` must be"),
    (TINY.replace("cell = \"gru\"", "cel = \"gru\""), "run 2: `cel` is no config field or memory option"),
    (TINY.replace('question = "Who wins?"\n', ""), "step 2 (Race), `question`: must be a non-empty text"),
    (TINY.replace('cell = "gru"}]', 'cell = "gru"}, "imdb-quick"]'), "step 2 (Race), `runs`: the runs of one step must "
                                                                      "solve one task"),
])
def test_an_invalid_lesson_names_the_file_the_line_and_the_fix(rnnviz_home, text, where):
    path = write(rnnviz_home / "lessons", text)
    with pytest.raises(lesson.LessonError) as e:
        lesson.find("tiny")
    assert str(e.value).startswith("$RNNVIZ_HOME/lessons/tiny.toml") and where in str(e.value)
    assert str(path.parent) not in str(e.value)  # the server's folders are not shown
    lines = text.splitlines()
    if "line " in where and "TOML" not in str(e.value):  # the named line really holds the key
        number = int(where.split("line ")[1].split(":")[0])
        key = where.split("`")[1].split(".")[-1]
        assert lines[number - 1].lstrip().startswith(key)


def test_an_unknown_lesson_names_the_known_ones():
    with pytest.raises(lesson.LessonError, match=r"Received: lesson='nope'. Known lessons: memory\.$"):
        lesson.find("nope")


def test_the_tally_counts_one_answer_per_session_across_threads_and_instances(tmp_path):
    tally = lesson.Tally(tmp_path / "answers.json")
    tally.vote("tiny", 0, "alice", 1)
    tally.vote("tiny", 0, "alice", 0)  # alice changed her mind: still one vote
    tally.vote("tiny", 0, "bob", 1)
    assert tally.counts("tiny", 0, 3) == [1, 1, 0]

    def many(t: int) -> None:
        for n in range(20):
            tally.vote("tiny", 1, f"s{t}_{n}", n % 2)

    threads = [threading.Thread(target=many, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = lesson.Tally(tmp_path / "answers.json")  # a fresh server reads the same file
    assert again.counts("tiny", 1, 2) == [60, 60] and again.counts("tiny", 0, 3) == [1, 1, 0]
    again.clear("tiny", 1)
    assert again.counts("tiny", 1, 2) == [0, 0] and tally.counts("tiny", 0, 3) == [1, 1, 0]


def test_the_answers_figure_marks_the_right_answer():
    fig = lesson_views.answers_figure(["a", "b", "c"], [3, 1, 0], answer=1, mine=0)
    bar = fig.data[0]
    assert list(bar.x) == [3, 1, 0]
    assert bar.y[1].startswith("✓ ") and not bar.y[0].startswith("✓") and "you" in bar.text[0]  # not colour alone
    assert bar.text[0] == "3 · 75% · you" and bar.text[2] == "0 · 0%"
    assert bar.marker.color[1] != bar.marker.color[0] == bar.marker.color[2]
    long = lesson_views.answers_figure(["LSTM and GRU, not the SimpleRNN", "b"], [1, 0], answer=0)
    assert all(len(line) <= 26 for label in long.data[0].y for line in label.split("<br>"))  # a phone's width


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "rnnviz", *args], capture_output=True, text=True,
                          env=os.environ, timeout=300)


def test_prepare_lesson_refuses_a_bad_lesson_with_exit_2(rnnviz_home, capsys):
    path = write(rnnviz_home / "lessons", TINY.replace("answer = 2", "answer = 5"))
    bad = run_cli("prepare-lesson", "tiny", "--json")
    assert bad.returncode == 2 and bad.stdout == ""
    assert f"error: $RNNVIZ_HOME/lessons/{path.name}, line 10: step 1 (Forgetting), `answer`" in bad.stderr
    assert cli.main(["prepare-lesson", "nope"]) == 2  # in-process: the same path, without a second start-up
    assert "Known lessons:" in capsys.readouterr().err
    assert not (rnnviz_home / "runs").exists() or not any((rnnviz_home / "runs").iterdir())  # nothing stored


@pytest.mark.slow  # trains two tiny runs in-process: about 10-25 s with the Keras import
def test_prepare_lesson_trains_then_finds_stored(rnnviz_home, capsys):
    write(rnnviz_home / "lessons", TINY)
    assert cli.main(["prepare-lesson", "tiny", "--json", "--skip-preflight"]) == 0
    out, err = capsys.readouterr()
    first = json.loads(out)  # exactly one JSON object on stdout
    want = [TINY_RUN.replace(cell=c) for c in ("simple_rnn", "gru")]
    assert "preflight" not in first and "pre-flight" not in err
    assert first["lesson"] == "tiny" and [r["run_id"] for r in first["runs"]] == [c.run_id for c in want]
    for run, cfg in zip(first["runs"], want):
        assert {"run_id", "cached", "config", "metrics", "train_seconds"} <= run.keys()
        assert run["cached"] is False and run["config"] == cfg.to_dict() and run["train_seconds"] > 0
        assert run["metrics"]["baseline_mse"] > 0 and "val_mse" in run["metrics"]
    assert "[1/2 " in err and "epoch 1:" in err  # progress lines on stderr
    assert cli.main(["prepare-lesson", str(rnnviz_home / "lessons" / "tiny.toml"), "--json"]) == 0  # a path: its pre-flight passes
    second = json.loads(capsys.readouterr().out)
    assert [r["cached"] for r in second["runs"]] == [True, True]
    assert [r["metrics"] for r in second["runs"]] == [r["metrics"] for r in first["runs"]]


def test_prepare_lesson_remembers_its_data_folder_for_the_app(rnnviz_home, tmp_path, capsys):
    from rnnviz.store import settings

    write(rnnviz_home / "lessons", TINY)
    folder = tmp_path / "datasets"
    folder.mkdir()
    assert settings.data_dir() is None
    assert cli.main(["prepare-lesson", "tiny", "--data-dir", str(folder), "--json", "--skip-preflight"]) == 0
    assert settings.data_dir() == str(folder.resolve())
    assert "data folder for the app" in capsys.readouterr().err
    # a folder that cannot be used is refused, naming it, and the saved one stays
    assert cli.main(["prepare-lesson", "tiny", "--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err and settings.data_dir() == str(folder.resolve())
    (rnnviz_home / settings.NAME).write_text("{not json")  # a damaged file is ignored, not a traceback
    assert settings.data_dir() is None


APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_the_app_reads_the_saved_data_folder_when_nothing_else_names_one(rnnviz_home, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from rnnviz.store import settings

    folder = tmp_path / "datasets"
    (folder / "imdb").mkdir(parents=True)
    (folder / "imdb" / "imdb.npz").write_bytes(b"")  # found by name: the Home page lists where it is
    settings.save_data_dir(str(folder))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert str(folder) in " ".join(table["status"].astype(str))  # Home's data table: IMDB available there
    monkeypatch.setenv("RNNVIZ_DATA_DIR", str(tmp_path))  # the environment variable comes first
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert str(folder) not in " ".join(at.dataframe[0].value["status"].astype(str))


def test_the_race_explanation_gives_the_second_mark_alone_error_it_claims():
    from rnnviz.config import MemoryData
    from rnnviz.data import loaders

    race = lesson.find("memory").steps[3]
    x, y = loaders.adding_problem(MemoryData(steps=50, samples=20_000), seed=0)
    second = np.array([row[np.flatnonzero(m)[1], 0] for row, m in zip(x, x[..., 1])])  # the later marked value
    alone = float(np.mean((second + 0.5 - y[:, 0]) ** 2))  # the best answer knowing only it: E[first] = 1/2
    assert alone == pytest.approx(1 / 12, abs=0.005) and "0.08" in race.explanation
    assert "answer about the average" not in race.explanation  # it scored 0.127 against the baseline's 0.163


def test_the_cell_path_note_reads_as_a_share():
    from rnnviz.ui import lesson as lesson_ui

    note = lesson_ui.FIGURE_NOTES["cell_path"].format(0.269)
    assert "**27%**" in note and "e-01" not in note  # it printed 2.69e-01


def test_the_race_draws_the_goal_its_question_asks_about():
    import plotly.graph_objects as go

    from rnnviz.config import presets
    from rnnviz.plots import adding

    trio = [presets.get(n).config for n in ("memory-simple-rnn", "memory-lstm", "memory-gru")]
    assert lesson.shared_goal(trio) == ("val_mse", 0.01) and "0.01" in lesson.find("memory").steps[3].question
    assert lesson.shared_goal([presets.get("imdb-quick").config, *trio]) is None  # two goals: none drawn
    fig = adding.with_goal(go.Figure(), 0.01, "val_mse")
    assert fig.layout.shapes[0].y0 == 0.01 and "goal: validation MSE 0.01" in fig.layout.annotations[0].text


# issue 21, item 5: lessons by name only; every wrong file is a LessonError naming the file, line and key


@pytest.mark.parametrize("name", ["/etc/hostname.toml", ".streamlit/config.toml", "../lessons/tiny", "x" * 5000,
                                  "tiny\n", "Tiny", "tiny.toml"])
def test_a_lesson_is_named_never_a_path_and_odd_names_get_one_line(rnnviz_home, name):
    path = write(rnnviz_home / "lessons", TINY)
    other = write(rnnviz_home / "elsewhere", TINY)  # a readable lesson file outside the two folders
    for given in (name, str(other)):
        with pytest.raises(lesson.LessonError) as e:
            lesson.find(given)
        message = str(e.value)
        assert "\n" not in message.replace(repr(given)[1:-1], "") and len(message) < 300
        assert message.endswith("Known lessons: memory, tiny.")
        assert str(path.parent) not in message and str(lesson.BUILT_IN) not in message
    assert lesson.find(str(other), paths=True).title == "Tiny"  # the CLI, run by the teacher on the server


def deep(depth: int = 3000) -> str:
    return f'title = "x"\nsummary = {"[" * depth}{"]" * depth}\n'


@pytest.mark.parametrize("text, where", [
    (TINY.replace('view = "race"', 'view = ["race"]'), "line 19: step 2 (Race), `view`: must be one of"),
    (deep(), "nested too deeply"),
    (TINY.replace('runs = [{data = "memory"', 'runs = [{data = ["memory"]'), "line 20: step 2 (Race), `runs`: run 1:"),
    (TINY.replace('runs = [{data = "memory",', 'runs = [{preset = {a = 1},'), "line 20: step 2 (Race), `runs`: run 1:"),
    (TINY.replace('summary = "A test lesson."', "summary = [1, 2]"), "line 2: `summary`: must be a text"),
    (TINY.replace('title = "Tiny"', 'title = ["Tiny"]'), "line 1: `title`: must be a text"),
    ('title = "x"\nsteps = "none"\n', "line 2: `steps`: must be one or more"),
    (TINY.replace('choices = ["most", "little"]', 'choices = [["most"], "little"]'),
     "line 9: step 1 (Forgetting), `choices`"),
])
def test_every_wrong_type_is_a_lesson_error_naming_the_file_line_and_key(rnnviz_home, text, where):
    write(rnnviz_home / "lessons", text)
    with pytest.raises(lesson.LessonError) as e:
        lesson.find("tiny")
    assert str(e.value).startswith("$RNNVIZ_HOME/lessons/tiny.toml") and where in str(e.value)


def test_a_fifo_a_folder_and_a_huge_file_are_refused_at_once_and_a_bom_is_accepted(rnnviz_home):
    folder = rnnviz_home / "lessons"
    write(folder, TINY)
    os.mkfifo(folder / "fifo.toml")  # nobody ever writes to it: opening it to read would wait forever
    (folder / "dir.toml").mkdir()
    write(folder, TINY + "#" * lesson.MAX_BYTES, name="huge")
    (folder / "bom.toml").write_bytes("\ufeff".encode() + TINY.encode())
    assert lesson.find("bom").title == "Tiny"
    outcome = {}

    def read_all():
        for name in ("fifo", "dir", "huge"):
            try:
                lesson.find(name)
            except lesson.LessonError as e:
                outcome[name] = str(e)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(30)
    assert not reader.is_alive(), "reading a FIFO lesson hung"
    assert "fifo.toml: is not a regular file" in outcome["fifo"] and "dir.toml: is not a regular file" in outcome["dir"]
    assert "huge.toml: is over 256 KB" in outcome["huge"]


@pytest.mark.parametrize("text", [TINY.replace('view = "race"', 'view = ["race"]'), deep(), None])
def test_prepare_lesson_exits_2_for_every_bad_file(rnnviz_home, capsys, text):
    folder = rnnviz_home / "lessons"
    if text is None:
        folder.mkdir(parents=True)
        os.mkfifo(folder / "tiny.toml")
    else:
        write(folder, text)
    codes = []

    def prepare() -> None:  # on a thread: reading a FIFO must fail at once, not hang the test
        for name in ("tiny", str(folder / "tiny.toml"), "x" * 5000):  # a name, a path (the same), a long name
            codes.append(cli.main(["prepare-lesson", name]))

    runner = threading.Thread(target=prepare, daemon=True)
    runner.start()
    runner.join(60)
    assert codes == [2, 2, 2]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith("error: $RNNVIZ_HOME/lessons/tiny.toml") for line in lines[:2])
    assert "Known lessons: memory" in lines[2]
