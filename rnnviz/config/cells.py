"""The cell registry: one row per recurrent cell, holding everything the house knows about it, once.

A row gives the cell's label and colour, the arrays the probe returns for it (gates, candidates, states) in
the order of its equations, its equations (one LaTeX source for Learn, Inspect and the lessons), the name of
its probe step (`rnnviz.probe.steps`), how Keras builds it (a `keras.layers` layer, or a cell of ours
registered with `keras.saving.register_keras_serializable`), its parameter count, what it keeps per step for
backpropagation (the memory guard), and the rules that keep it off a fused (cuDNN) kernel per backend.

Pages and plots ask a row (`row(cfg.cell)`) instead of testing names. Adding a cell takes its row here, its
Keras cell (`rnnviz/models/cells.py`) and its probe step (`rnnviz/probe/steps.py`).

Plain data only: this module imports nothing of `rnnviz`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from string import Template

# Okabe-Ito, the palette every chart uses (`rnnviz.plots.style.OKABE_ITO` names them all)
_BLUE, _VERMILLION, _GREEN, _PURPLE, _ORANGE, _SKY = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                                      "#56B4E9")
_NOT_OURS = ("is our own Keras cell (rnnviz.models.keras_cells), not Keras's LSTM or GRU: no cuDNN kernel on any "
             "backend; it always runs the generic loop")


@dataclass(frozen=True)
class Cell:
    """One recurrent cell.

    Attributes:
        name: the `RunConfig.cell` value, e.g. "lstm".
        label: the name people read, e.g. "LSTM" (Keras's class name for Keras's own cells).
        color: its colour in every chart.
        symbol, dash: its Plotly marker symbol and line dash, with the colour on every chart, so the cells stay
            apart in greyscale and for every colour-vision deficiency.
        keys: every array `rnnviz.probe.gates` returns for it, in the order of its equations.
        gates: the arrays that go through `recurrent_activation` (a sigmoid by default).
        candidates: the arrays that go through `activation` (tanh by default).
        memory: the state carried from step to step by a gated sum ("c" for an LSTM, else "h").
        keep: the gate whose value near 1 keeps the state ("f", "z"), "1-f" when a low gate keeps it (MGU),
            None for a cell without gates.
        blocks: weight blocks side by side in the kernel (`blocks * u * (n + u)` weights).
        vectors: `(u,)` vectors besides the kernels: biases and peepholes.
        saved_per_step: values kept per unit and step for the backward pass (the memory guard).
        keras: `keras.layers` layer name ("LSTM"), or a registered cell of ours ("rnnviz>MGUCell") that
            `keras.layers.RNN` wraps.
        keras_cell: the Keras cell class name a built layer holds (to recognise a loaded layer).
        step: the name of its recurrence in `rnnviz.probe.steps`.
        equations: rows `(left side, right side, what it is)` of LaTeX; `<act>` and `<rec>` stand for the
            cell's `activation` and `recurrent_activation`.
        alternative: `(attribute, rows)`: equations used instead when the Keras cell's attribute is False
            (a GRU with `reset_after=False`).
        update: LaTeX of one unit's state update with numbers, a `string.Template`: `$t`, `$tm1`, each key,
            `${key}_tm1` for the memory and `$not_<gate>` for `1 - gate`.
        no_fused: why no backend has a fused kernel for it (None: Keras's LSTM or GRU may get one).
        fused_off: backend -> why that backend has no fused kernel for it.
        about: what the Learn page says about it. variants: the Learn page's note on its variants.
        gates_note: what the Gates page says about it.
        reference: where it comes from.
        diagram: its picture in `assets/` ("" for none); diagram_note: the picture's caption when it is another
            cell's; diagram_alt: what the picture shows, for screen readers.
    """

    name: str
    label: str
    color: str
    symbol: str
    dash: str
    keys: tuple[str, ...]
    gates: tuple[str, ...]
    candidates: tuple[str, ...]
    memory: str
    keep: str | None
    blocks: int
    vectors: int
    saved_per_step: int
    keras: str
    keras_cell: str
    step: str
    equations: tuple[tuple[str, str, str], ...]
    update: str = ""
    alternative: tuple[str, tuple[tuple[str, str, str], ...]] | None = None
    no_fused: str | None = None
    fused_off: dict[str, str] = field(default_factory=dict)
    about: str = ""
    variants: str = ""
    gates_note: str = ""
    reference: str = ""
    diagram: str = ""
    diagram_note: str = ""
    diagram_alt: str = ""

    @property
    def ours(self) -> bool:
        """Built from a cell of ours (`rnnviz.models.keras_cells`), not a `keras.layers` layer."""
        return self.keras.startswith("rnnviz>")

    @property
    def gated(self) -> bool:
        return bool(self.gates)

    def kept(self, arrays: dict):
        """The keep gate's values from the probe's arrays (near 1: the state is kept), or None without gates."""
        if self.keep is None:
            return None
        return 1.0 - arrays[self.keep[2:]] if self.keep.startswith("1-") else arrays[self.keep]

    def params(self, n_in: int, units: int) -> int:
        """Weights of one layer (one direction) with `n_in` features per step."""
        return self.blocks * units * (n_in + units) + self.vectors * units

    @property
    def formula(self) -> str:
        """The parameter count in n (features per step) and u (units), e.g. "4u(n+u) + 4u"."""
        b = "" if self.blocks == 1 else str(self.blocks)
        v = "" if self.vectors == 1 else str(self.vectors)
        return f"{b}u(n+u) + {v}u"

    def latex(self, act: str = r"\tanh", rec: str = r"\sigma", notes: bool = False,
              off: tuple[str, ...] = ()) -> str:
        """Its equations as one LaTeX `aligned` block.

        Args:
            act, rec: LaTeX of `activation` and `recurrent_activation`.
            notes: add each row's "what it is" as text on the right.
            off: attributes of `alternative` that are False on the layer shown (use those equations).
        """
        rows = self.alternative[1] if self.alternative and self.alternative[0] in off else self.equations
        lines = [f"{lhs} &= {rhs}" + (rf" && \text{{{note}}}" if notes and note else "")
                 for lhs, rhs, note in rows]
        body = r" \\ ".join(lines).replace("<act>", act).replace("<rec>", rec)
        return r"\begin{aligned} " + body + r" \end{aligned}"

    def step_latex(self, values: dict[str, float], t: int) -> str:
        """`update` with the numbers of one unit at step `t` (values: each key, and `<memory>_tm1`)."""
        def num(v: float) -> str:
            return f"({v:.3f})" if v < 0 else f"{v:.3f}"

        fill = {k: num(v) for k, v in values.items()}
        fill.update({f"not_{g}": num(1.0 - values[g]) for g in self.gates if g in values})
        fill.update({k: f"{values[k]:.3f}" for k in ("h", "c") if k in values})  # results: no parentheses
        return Template(self.update).substitute(fill, t=t, tm1=t - 1)


_LSTM_KEYS = ("i", "f", "c_hat", "o", "c", "h")
_LSTM_UPDATE = (r"\begin{aligned} c_{$t} &= f \cdot c_{$tm1} + i \cdot \hat c = $f \times $c_tm1 + $i \times "
                r"${c_hat} = $c \\ h_{$t} &= o \cdot \tanh(c_{$t}) = $o \times \tanh($c) = $h \end{aligned}")
_RNN_ALT = ("A recurrent cell drawn twice: folded, one tanh box whose output loops back into it; unrolled, the "
            "same box with the same W, U and b at steps t = 1, 2 and 3, each passing its state to the next.")
_GRU_ALT = ("One time step of a GRU cell: the update and reset gates are sigmoids of the input and the previous "
            "state; the tanh candidate sees the previous state through the reset gate; the next state mixes the "
            "previous one (times z) and the candidate (times 1 − z).")
_LSTM_ALT = ("One time step of an LSTM cell: the cell state runs along the top, multiplied by the forget gate and "
             "added to the input gate times the tanh candidate; the output gate times tanh of the new cell state is "
             "the output and next hidden state. Gates are sigmoids between 0 and 1.")
_LSTM_VARIANTS = (
    "**Variants in textbooks, not in Keras.** *Peephole* LSTMs (Gers and Schmidhuber, 2000) let the "
    "gates also read the cell: $i_t = \\sigma(W_i x_t + U_i h_{t-1} + p_i \\odot c_{t-1} + b_i)$, and "
    "the same for $f_t$ (with $c_{t-1}$) and $o_t$ (with $c_t$). The *coupled* input and forget gate "
    "(CIFG) drops the input gate and writes $i_t = 1 - f_t$: whatever is forgotten is replaced. "
    "Keras's `LSTM` has **neither**: its gates read only $x_t$ and $h_{t-1}$, and $i_t$ and $f_t$ are "
    "separate. (A coupled gate is what the GRU's $z_t$ does.)")


def _lstm_rows(peep: bool = False, cifg: bool = False) -> tuple[tuple[str, str, str], ...]:
    p = {k: (rf" + p_{k} \odot c_{{{t}}}" if peep else "") for k, t in (("i", "t-1"), ("f", "t-1"), ("o", "t"))}
    rows = [(r"i_t", r"<rec>(W_i x_t + U_i h_{t-1} + b_i" + p["i"] + ")",
             "input gate, peeking at the old cell" if peep else "input gate: how much of the candidate to write"),
            (r"f_t", r"<rec>(W_f x_t + U_f h_{t-1} + b_f" + p["f"] + ")",
             "forget gate, peeking at the old cell" if peep else "forget gate: how much of the old cell to keep"),
            (r"\hat c_t", r"<act>(W_c x_t + U_c h_{t-1} + b_c)", "candidate: what could be written"),
            (r"c_t", r"f_t \odot c_{t-1} + i_t \odot \hat c_t", "cell state: the long-term memory"),
            (r"o_t", r"<rec>(W_o x_t + U_o h_{t-1} + b_o" + p["o"] + ")",
             "output gate, peeking at the new cell" if peep else "output gate: how much of the cell to show"),
            (r"h_t", r"o_t \odot <act>(c_t)", "hidden state: the output")]
    if cifg:  # no input-gate weights: the input gate is what the forget gate lets go
        rows[:2] = [rows[1], (r"i_t", r"1 - f_t", "input gate, coupled: no weights of its own")]
        rows[3] = (r"c_t", r"f_t \odot c_{t-1} + (1 - f_t) \odot \hat c_t", "cell state: forget and replace in one")
    return tuple(rows)


CELLS: dict[str, Cell] = {c.name: c for c in (
    Cell("simple_rnn", "SimpleRNN", _BLUE, "circle", "solid", keys=("a", "h"), gates=(), candidates=("h",),
         memory="h", keep=None,
         blocks=1, vectors=1, saved_per_step=2, keras="SimpleRNN", keras_cell="SimpleRNNCell", step="simple_steps",
         equations=((r"a_t", r"W x_t + U h_{t-1} + b", "pre-activation"), (r"h_t", r"<act>(a_t)", "new state")),
         no_fused="SimpleRNN has no cuDNN kernel on any backend: it always runs the generic loop",
         gates_note="A SimpleRNN has **no gates**: every step overwrites the state through one activation. "
                    "Where that activation is flat (tanh near ±1) its slope is near 0, so gradients shrink at "
                    "each step back: the plain RNN forgets.",
         reference="Elman, 1990", diagram="rnn_cell.svg", diagram_alt=_RNN_ALT),
    Cell("lstm", "LSTM", _VERMILLION, "square", "dash",
         keys=_LSTM_KEYS, gates=("i", "f", "o"), candidates=("c_hat",), memory="c",
         keep="f", blocks=4, vectors=4, saved_per_step=7, keras="LSTM", keras_cell="LSTMCell", step="lstm_steps",
         equations=_lstm_rows(), update=_LSTM_UPDATE,
         about="An LSTM carries two states: the **cell** $c_t$ (long-term memory) and the **hidden state** $h_t$ "
               "(what it outputs). Three **gates**, each a sigmoid between 0 (closed) and 1 (open), decide what "
               "to forget, what to write and what to show. The cell is updated by *adding*, which lets "
               "information (and gradients) pass many steps unchanged.",
         variants=_LSTM_VARIANTS,
         gates_note="Keras's `LSTM` has **no peepholes**: its gates read only $x_t$ and $h_{t-1}$, never the cell "
                    "$c_{t-1}$ (textbook peephole LSTMs add $p \\odot c_{t-1}$ inside the gates). Its input and "
                    "forget gates are separate (no coupling $i_t = 1 - f_t$); the forget bias starts at 1.",
         reference="Hochreiter and Schmidhuber, 1997; Gers et al., 2000", diagram="lstm_cell.svg",
         diagram_alt=_LSTM_ALT),
    Cell("gru", "GRU", _GREEN, "diamond", "dot",
         keys=("z", "r", "h_hat", "h"), gates=("z", "r"), candidates=("h_hat",), memory="h",
         keep="z", blocks=3, vectors=6, saved_per_step=6, keras="GRU", keras_cell="GRUCell", step="gru_steps",
         equations=((r"z_t", r"<rec>(W_z x_t + U_z h_{t-1} + b_z)", "update gate: how much of the old state to keep"),
                    (r"r_t", r"<rec>(W_r x_t + U_r h_{t-1} + b_r)",
                     "reset gate: how much of the old state the candidate sees"),
                    (r"\hat h_t", r"<act>\big(W_h x_t + b_h + r_t \odot (U_h h_{t-1} + b'_h)\big)", "candidate"),
                    (r"h_t", r"z_t \odot h_{t-1} + (1 - z_t) \odot \hat h_t", "new state: a mix of old and candidate")),
         alternative=("reset_after", (
             (r"z_t", r"<rec>(W_z x_t + U_z h_{t-1} + b_z)", "update gate"),
             (r"r_t", r"<rec>(W_r x_t + U_r h_{t-1} + b_r)", "reset gate"),
             (r"\hat h_t", r"<act>(W_h x_t + U_h (r_t \odot h_{t-1}) + b_h)", "candidate"),
             (r"h_t", r"z_t \odot h_{t-1} + (1 - z_t) \odot \hat h_t", "new state"))),
         update=r"h_{$t} = z \cdot h_{$tm1} + (1 - z) \cdot \hat h = $z \times ${h_tm1} + $not_z \times ${h_hat} = $h",
         fused_off={"jax": "Keras's JAX backend has no cuDNN GRU (a GRU runs as a compiled scan; LSTM is fused)"},
         about="A GRU is a lighter LSTM: one state $h_t$ and two gates. The **update gate** $z_t$ mixes the old "
               "state with a new candidate (keep vs replace, in one number per unit); the **reset gate** $r_t$ "
               "decides how much of the old state the candidate may look at.",
         variants="**Variants.** Keras's `GRU` uses `reset_after=True` (the default, as in cuDNN): the reset gate "
                  "multiplies $U_h h_{t-1} + b'_h$, *after* the matrix. The original GRU (Cho et al., 2014) resets "
                  "before: $\\tanh(W_h x_t + U_h (r_t \\odot h_{t-1}) + b_h)$ (`reset_after=False`). Some books "
                  "swap the roles of $z$ and $1 - z$ ($h_t = (1 - z_t) h_{t-1} + z_t \\hat h_t$): same cell, $z$ "
                  "then means 'replace' instead of 'keep'.",
         gates_note="Keras's `GRU` resets **after** the matrix product (`reset_after=True`, as cuDNN): "
                    "$r_t$ multiplies $U_h h_{t-1} + b'_h$. Here $z_t$ near 1 means *keep the old state*.",
         reference="Cho et al., 2014", diagram="gru_cell.svg", diagram_alt=_GRU_ALT),
    Cell("lstm_peephole", "peephole LSTM", _PURPLE, "triangle-up", "dashdot",
         keys=_LSTM_KEYS, gates=("i", "f", "o"), candidates=("c_hat",),
         memory="c", keep="f", blocks=4, vectors=7, saved_per_step=7, keras="rnnviz>PeepholeLSTMCell",
         keras_cell="PeepholeLSTMCell", step="lstm_steps", equations=_lstm_rows(peep=True), update=_LSTM_UPDATE,
         no_fused=f"lstm_peephole {_NOT_OURS}",
         about="A **peephole** LSTM (Gers and Schmidhuber, 2000) lets the gates look at the cell itself: the "
               "input and forget gates read $c_{t-1}$, the output gate reads the new $c_t$, each through "
               "one weight per unit ($p$ is a vector, not a matrix). That helps with precise timing, e.g. "
               "counting steps. Keras has no such layer; this one is `rnnviz.models.keras_cells.PeepholeLSTMCell`.",
         variants=_LSTM_VARIANTS,
         gates_note="A **peephole** LSTM (Gers and Schmidhuber, 2000; built in `rnnviz.models.keras_cells`, not "
                    "Keras): "
                    "the input and forget gates also read the old cell $c_{t-1}$, the output gate the new cell "
                    "$c_t$, each through one weight per unit ($p_i, p_f, p_o$).",
         reference="Gers and Schmidhuber, 2000", diagram="lstm_cell.svg", diagram_alt=_LSTM_ALT,
         diagram_note="Keras's LSTM: the variant changes the gates as its equations below say"),
    Cell("lstm_cifg", "CIFG LSTM", _ORANGE, "x", "longdash",
         keys=_LSTM_KEYS, gates=("i", "f", "o"), candidates=("c_hat",),
         memory="c", keep="f", blocks=3, vectors=3, saved_per_step=6, keras="rnnviz>CIFGLSTMCell",
         keras_cell="CIFGLSTMCell", step="lstm_steps", equations=_lstm_rows(cifg=True), update=_LSTM_UPDATE,
         no_fused=f"lstm_cifg {_NOT_OURS}",
         about="A **CIFG** LSTM couples the input and forget gates: $i_t = 1 - f_t$, so the cell forgets "
               "exactly as much as it writes. One gate fewer (a quarter fewer weights), often as good "
               "(Greff et al., 2017, *LSTM: A Search Space Odyssey*). Keras has no such layer; this one is "
               "`rnnviz.models.keras_cells.CIFGLSTMCell`.",
         variants=_LSTM_VARIANTS,
         gates_note="A **CIFG** LSTM (coupled input and forget gate; `rnnviz.models.keras_cells`): it has no "
                    "input-gate "
                    "weights, $i_t = 1 - f_t$, so whatever the cell forgets is replaced by the candidate.",
         reference="Greff et al., 2017", diagram="lstm_cell.svg", diagram_alt=_LSTM_ALT,
         diagram_note="Keras's LSTM: the variant changes the gates as its equations below say"),
    Cell("mgu", "MGU", _SKY, "star", "longdashdot",
         keys=("f", "h_hat", "h"), gates=("f",), candidates=("h_hat",), memory="h",
         keep="1-f", blocks=2, vectors=2, saved_per_step=5, keras="rnnviz>MGUCell", keras_cell="MGUCell",
         step="mgu_steps",
         equations=((r"f_t", r"<rec>(W_f x_t + U_f h_{t-1} + b_f)", "forget gate: how much to replace"),
                    (r"\hat h_t", r"<act>(W_h x_t + U_h (f_t \odot h_{t-1}) + b_h)",
                     "candidate, from the part of the old state the gate lets through"),
                    (r"h_t", r"(1 - f_t) \odot h_{t-1} + f_t \odot \hat h_t", "new state: keep 1 - f, replace f")),
         update=r"h_{$t} = (1 - f) \cdot h_{$tm1} + f \cdot \hat h = $not_f \times ${h_tm1} + $f \times ${h_hat} = $h",
         no_fused=f"mgu {_NOT_OURS}",
         about="A **minimal gated unit** (MGU; Zhou et al., 2016) has a single gate. Its **forget gate** $f_t$ "
               "does the work of the GRU's two: it decides how much of the old state the candidate sees, and how "
               "much of the state is replaced ($h_t = (1 - f_t) h_{t-1} + f_t \\hat h_t$). Two weight blocks "
               "instead of the GRU's three. Keras has no such layer; this one is `rnnviz.models.keras_cells.MGUCell`.",
         gates_note="A **minimal gated unit** (Zhou et al., 2016; `rnnviz.models.keras_cells`, not Keras) has one "
                    "gate: "
                    "$f_t$ both filters the old state for the candidate and mixes old and new. Here $f_t$ near 0 "
                    "means *keep the old state*, near 1 *replace it*.",
         reference="Zhou et al., 2016, Minimal gated unit for recurrent neural networks"),
)}
"""Cell name -> its row, in the order every list and chart shows them."""

TRIO = ("simple_rnn", "lstm", "gru")
"""Keras's own recurrent cells: the trio the Compare page trains by default."""

LSTM_FAMILY = ("lstm", "lstm_peephole", "lstm_cifg", "gru", "mgu")
"""Compare's "what each gated variant buys" set: Keras's LSTM, its variants, the GRU and the MGU."""


def row(cell: str) -> Cell:
    """The row of a cell name.

    Raises:
        ValueError: an unknown name, e.g. "`cell` must be one of ['simple_rnn', ...]. Received: cell='rnn'".
    """
    if cell not in CELLS:
        raise ValueError(f"`cell` must be one of {list(CELLS)}. Received: cell={cell!r}")
    return CELLS[cell]


def by_keras_cell(class_name: str) -> Cell | None:
    """The row whose Keras cell class is called `class_name` (None: not one of ours)."""
    return next((c for c in CELLS.values() if c.keras_cell == class_name), None)
