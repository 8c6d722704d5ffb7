"""The figures a lesson step shows (see `rnnviz.learn.lessons.VIEWS`), computed from the step's locked settings or its
stored runs, and the bar chart of the class's answers. Figures in, no Streamlit here."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from rnnviz.config import cells
from rnnviz.learn import forgetting as learn_forgetting
from rnnviz.learn import layers as learn_layers
from rnnviz.learn import loop as learn_loop
from rnnviz.plots import learn as learn_plots
from rnnviz.plots import style


def for_loop(s: dict[str, Any]) -> tuple[go.Figure, float]:
    """The numpy for-loop's states beside Keras's SimpleRNN with the same weights, and their largest difference."""
    x = learn_loop.example_input(s["steps"], s["input_size"], s["seed"])  # (time, input_size)
    W, U, b = learn_loop.simple_rnn_weights(s["input_size"], s["units"], s["seed"])
    h = learn_loop.simple_rnn(x, W, U, b).h  # (time, units)
    h_keras = learn_layers.keras_states(learn_layers.keras_simple_rnn(W, U, b), x)
    return learn_plots.rnn_states_figure(h, h_keras), learn_loop.largest_difference(h, h_keras)


def _plain(s: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forgetting experiment's input `(steps, 1)`, ‖Uⁿ‖ and the tanh RNN's gradient gains `(steps,)`."""
    x, W, U, b = learn_forgetting.memory_rnn(s["units"], s["radius"], s["steps"], s["input_scale"], s["seed"])
    return x, learn_forgetting.power_norms(U, s["steps"]), learn_forgetting.jacobian_norms(learn_loop.simple_rnn(x, W, U, b).h, U)


def forgetting(s: dict[str, Any]) -> tuple[go.Figure, float]:
    """‖Uⁿ‖ and the tanh RNN's gradient gain against n, and the gain left at the last n."""
    _, power, gradient = _plain(s)
    fig = learn_plots.norm_figure(
        {"matrix alone: ‖Uⁿ‖": power, "through the tanh RNN: ‖∂h_T / ∂h_(T−n)‖": gradient},
        "A gradient sent back n steps: how much is left?", "gain (no unit)", {"matrix alone: ‖Uⁿ‖": "dash"},
        cells={"through the tanh RNN: ‖∂h_T / ∂h_(T−n)‖": "simple_rnn"})
    return fig, float(gradient[-1])


def cell_path(s: dict[str, Any]) -> tuple[go.Figure, float]:
    """The LSTM's cell path (products of forget gates) beside the plain RNN's gradient, and the path's largest
    gain at the last n."""
    x, _, gradient = _plain(s)
    path = learn_forgetting.forget_path(learn_layers.cell_gates("lstm", x, s["units"], s["seed"], s["forget_bias"])["f"])
    return learn_plots.forget_path_figure(path, gradient), float(path[-1].max())


def gates(s: dict[str, Any]) -> tuple[go.Figure, float]:
    """Every gate and state of a seeded Keras layer of a gated cell over time, and the mean of its keep gate
    (LSTM f, GRU z, MGU 1 - f)."""
    x = learn_loop.example_input(s["steps"], s["input_size"], s["seed"])
    g = learn_layers.cell_gates(s["cell"], x, s["units"], s["seed"])
    return learn_plots.gate_time_figure(g, 1, s["cell"]), float(cells.row(s["cell"]).kept(g).mean())


FIGURES = {"for_loop": for_loop, "forgetting": forgetting, "cell_path": cell_path, "gates": gates}
"""View name -> the function drawing it from the step's settings (the views without runs)."""


def answers_figure(choices: list[str], counts: list[int], answer: int, mine: int | None = None) -> go.Figure:
    """The class's answers: one bar per choice, the right one drawn in green with a black edge and marked ✓ in its
    label (choices wrapped at 24 characters and short bar labels, so a 390 px phone shows them whole).

    Args:
        choices: the choices' texts.
        counts: how many picked each.
        answer: the right choice (0-based).
        mine: this session's choice (0-based), marked "you", or None.
    """
    total = max(sum(counts), 1)
    labels = [_wrap(("✓ " if k == answer else "") + c, 24) for k, c in enumerate(choices)]  # fits a phone
    colors = [style.OKABE_ITO["bluish green"] if k == answer else style.SEQUENTIAL_MID for k in range(len(choices))]
    text = [f"{n} · {n / total:.0%}" + (" · you" if k == mine else "") for k, n in enumerate(counts)]
    fig = go.Figure(go.Bar(x=counts, y=labels, orientation="h", marker_color=colors, text=text,
                           textposition="outside", cliponaxis=False,
                           marker_line={"color": [style.OKABE_ITO["black"] if k == answer else "rgba(0,0,0,0)"
                                                  for k in range(len(choices))], "width": 2}))
    top = max(counts + [1])
    fig.update_xaxes(title="answers (sessions)", range=[0, top * 1.6], dtick=max(1, -(-top // 5)))  # whole numbers
    fig.update_yaxes(autorange="reversed")
    lines = sum(label.count("<br>") + 1 for label in labels)
    fig.update_layout(title=f"The class's answers ({sum(counts)} so far) · ✓ right",
                      height=120 + 22 * lines + 24 * len(choices), margin={"l": 10, "r": 10, "t": 50, "b": 40},
                      showlegend=False)
    return fig


def _wrap(text: str, width: int = 40) -> str:
    """A choice broken into lines of about `width` characters (`<br>` for plotly)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])
