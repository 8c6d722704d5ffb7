"""Write: a stored IMDB language model writes after a prompt; each token coloured by one unit's activation."""

import pandas as pd
import streamlit as st

from rnnviz import ui
from rnnviz.config import tasks
from rnnviz.data import lm
from rnnviz.inspect import write
from rnnviz.plots import charts as plots

st.title("Write")
st.caption("Pick a stored IMDB language-model run (next word or next character), give it a prompt, and let it "
           "write. Each token is coloured by one unit's activation (the char-rnn neuron view); hover a token "
           "for the 5 tokens the model found most likely there.")
run = ui.inspect_run(kinds=tasks.with_pages("write"))

cfg = run.config
epoch = ui.pick_epoch(run)
try:
    tokens = lm.tokens_for(cfg.data, ui.data_dir())
except Exception as e:  # the word index is missing or damaged
    ui.show_error(e, "Reading the vocabulary")
    st.stop()
prompt = st.text_input("Prompt (empty: start from the start of a review)", key=ui.keep("write_prompt"),
                       max_chars=500)
c1, c2, c3 = st.columns(3)
temperature = c1.number_input("Temperature (0 = always the most likely token)", value=0.8, step=0.1,
                              key=ui.keep("write_temperature"), help="Values outside [0, 5] are clamped.")
length = c2.slider("Length (tokens)", 1, 400, 120 if cfg.data.level == "char" else 40, key=ui.keep("write_length"))
seed = int(c3.number_input("Seed (same seed, same text)", 0, 2**31 - 1, 0, key=ui.keep("write_seed")))
unit = st.slider("Colour by unit", 0, cfg.units - 1, 0, key=f"write_unit_{run.run_id}")

@st.cache_data(max_entries=32, show_spinner="Writing…")
def written(run_id: str, created: str, epoch_: int | None, text: str, n: int, t: float, s: int) -> write.Writing:
    """`write.generate` for one run, epoch, prompt and setting (cached: the same input writes the same text)."""
    return write.generate(ui.model_at(run_id, created, epoch_), tokens, text, n, t, s)

w = written(run.run_id, run.info["created"], epoch, prompt or "", length, float(temperature), seed)
if w.note:
    st.info(w.note)
if w.dropped:
    st.warning("Not in the vocabulary, left out of the prompt: " + ", ".join(repr(d) for d in w.dropped[:30])
               + (" …" if len(w.dropped) > 30 else ""))
if not prompt:
    st.caption("Empty prompt: the model starts from the start-of-review token.")
symbols = tokens.decode(w.ids)
hover = [f"after '{s}': " + ", ".join(f"{t!r} {p:.0%}" for t, p in top) for s, top in zip(symbols, w.top)]
st.plotly_chart(plots.writing_figure(symbols, w.states[:, unit], hover, f"What it wrote, coloured by unit {unit}"
                                     f" (temperature {w.temperature:g})"), width="stretch", key="write_text")
st.text(tokens.text([lm.START, *w.prompt.tolist()]) + " ‖ " + tokens.text(w.ids))

st.subheader("Find units")
st.caption("Units whose activation follows something countable in the text above: Pearson r over the written "
           "tokens. (The IMDB files hold no punctuation, so sentences, quotes and parentheses cannot be counted.)")
rows = write.find_units(w.states, write.features(tokens, w.ids))
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True)
else:
    st.info("Nothing here varies enough to correlate: write more tokens.")
