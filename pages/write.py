"""Write: a stored language model writes after a prompt; each token coloured by one unit's activation."""

import pandas as pd
import streamlit as st

from rnnviz import ui
from rnnviz.config import tasks
from rnnviz.data import lm
from rnnviz.inspect import write
from rnnviz.plots import charts as plots

st.title("Write")
st.caption("Pick a stored language-model run (IMDB or your own text; next word or next character), give it a prompt, and let it "
           "write. Each token is coloured by one unit's activation after reading it (the char-rnn neuron view); "
           "hover a token for the 5 tokens the model found most likely there, which it was drawn from.")
run = ui.inspect_run(kinds=tasks.with_pages("write"))

cfg = run.config
epoch = ui.pick_epoch(run)
try:
    tokens = ui.tokens(cfg)
except Exception as e:  # the word index or the text is missing or damaged
    ui.show_error(e, "Reading the vocabulary")
    st.stop()
prompt = st.text_input("Prompt (empty: start from the start of a review)", key=ui.keep("write_prompt"),
                       max_chars=500)
c1, c2, c3 = st.columns(3)
temperature = c1.number_input("Temperature (0 = always the most likely token)", value=0.8, step=0.1,
                              key=ui.keep("write_temperature"), help="Values outside [0, 5] are clamped.")
length = c2.slider("Length (tokens)", 1, 400, 120 if cfg.data.level == "char" else 40, key=ui.keep("write_length"))
seed = int(c3.number_input("Seed (same seed, same text)", 0, 2**31 - 1, 0, key=ui.keep("write_seed")))
unit_key = f"write_unit_{run.run_id}"
picked = st.session_state.get("write_units", {}).get("selection", {}).get("rows", [])
if picked != st.session_state.get("write_units_applied"):  # a "Find units" row just clicked (once: the slider
    st.session_state["write_units_applied"] = picked      # may be moved afterwards)
    if picked and picked[0] < len(st.session_state.get("write_unit_rows", [])):
        st.session_state[unit_key] = st.session_state["write_unit_rows"][picked[0]]
unit = st.slider("Colour by unit", 0, cfg.units - 1, 0, key=unit_key)

key = (run.run_id, run.info["created"], epoch, prompt or "", length, float(temperature), seed)
done = st.session_state.setdefault("write_done", {})  # this session's last writings: the same input, the same text
w = done.get(key)
if w is None:
    live = st.empty()

    def show(so_far: write.Writing) -> None:
        if len(so_far.ids) % 8 == 0:  # the text appears as it is written
            live.text("Writing… " + tokens.text(so_far.ids))

    w = write.generate(ui.model_at(run.run_id, run.info["created"], epoch), tokens, prompt or "", length,
                       float(temperature), seed, on_token=show)
    live.empty()
    if len(done) >= 8:  # a statement, not an expression: Streamlit's magic would print an expression's value
        done.pop(next(iter(done)))
    done[key] = w
if w.note:
    st.info(w.note)
if w.dropped:
    st.warning("Not in the vocabulary, left out of the prompt: " + ", ".join(repr(d) for d in w.dropped[:30])
               + (" …" if len(w.dropped) > 30 else ""))
if not prompt:
    st.caption("Empty prompt: the model starts from the start-of-review token.")
symbols = tokens.decode(w.ids)
hover = [f"{s!r} was drawn from: " + ", ".join(f"{t!r} {p:.0%}" for t, p in top) for s, top in zip(symbols, w.top)]
st.plotly_chart(plots.writing_figure(symbols, w.states[:, unit], hover, f"What it wrote, coloured by unit {unit}"
                                     f" (temperature {w.temperature:g})"), width="stretch", key="write_text")
st.text(tokens.text([lm.START, *w.prompt.tolist()]) + " ‖ " + tokens.text(w.ids))

st.subheader("Find units")
st.caption("Units whose activation follows something countable in the text above: Pearson r over the written "
           "tokens." + (" Quotes, parentheses, sentences and line breaks are counted in the text as written."
                        if tokens.raw else " (The IMDB word-id files hold no punctuation, so sentences, quotes "
                        "and parentheses cannot be counted: the Text language model on the raw reviews can.)"))
rows = write.find_units(w.states, write.features(tokens, w.ids, [lm.START, *w.prompt.tolist()]))
if rows:
    st.session_state["write_unit_rows"] = [r["unit"] for r in rows]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="write_units", on_select="rerun",
                 selection_mode="single-row")
    st.caption("Click a row to colour the text above by that unit.")
else:
    st.info("Nothing here varies enough to correlate: write more tokens.")
