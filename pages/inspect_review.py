"""Inspect: type your own movie review and watch an IMDB run read it, word by word."""

import streamlit as st

from rnnviz import ui
from rnnviz.config import cells, tasks
from rnnviz.config.vocab import NAMES
from rnnviz.inspect import layers as inspection
from rnnviz.inspect import readout, samples
from rnnviz.plots import predictions as prediction_plots
from rnnviz.plots import states as state_plots

st.title("Type your own review")
st.caption("The text is encoded exactly as the training reviews were; the prediction and the per-word charts "
           "follow as you type (Ctrl+Enter or click outside the box).")
run = ui.inspect_run(kinds=tasks.with_pages("review"))
cfg = run.config
top = st.columns([2, 2, 1.2])
with top[1]:
    epoch = ui.pick_epoch(run)
layer, direction = ui.pick_layer(cfg, top[2])
vocab = ui.vocabulary(cfg)
if vocab is None:
    st.error("The IMDB word index (`imdb_word_index.json`) is needed to encode text. Put it in the data "
             "folder (Home page) or run `python -m rnnviz prefetch imdb` on a machine with internet.")
    st.stop()
key = ui.keep("inspect_review_text")
st.session_state.setdefault(key, "This movie was a wonderful surprise: the acting is great and the story "
                                 "kept me hooked until the end.")
ui.links.follow("text", key, ui.links.text(3000), st.session_state[key], mirror="inspect_review_text")
text = top[0].text_area("Your review", key=key, height=140, max_chars=3000)

enc = samples.encode_review(vocab, text, cfg.data)
marks = {"known": "{}", "rare (out of vocabulary)": ":orange-background[{} → `<oov>`]",
         "unknown (dropped)": ":gray[~~{}~~]"}
st.markdown("**What the model reads:** `<start>` " + " ".join(marks[t.status].format(t.word) for t in enc.tokens)
            if enc.tokens else "**What the model reads:** only `<start>`: type some words.")
st.caption(f"Orange: rarer than the {cfg.data.vocab_size:,} most frequent words, read as the shared `<oov>` "
           "id. Grey, struck out: not in the IMDB word index at all; the dataset drops such words, so does this "
           "box. " + (f"**{enc.cut} words are cut** (a review holds at most {cfg.data.maxlen} tokens; this run "
                      f"keeps the {'end' if cfg.data.truncating == 'pre' else 'start'})." if enc.cut else ""))

model = ui.inspect_model(run, epoch)
try:
    probes, out = ui.probe_ids(run.run_id, run.info["created"], epoch, tuple(int(i) for i in enc.ids))
except (ValueError, KeyError) as e:
    ui.show_error(e, "Probing this review")
    st.stop()
label = "positive" if out >= 0.5 else "negative"
a, b = st.columns([1, 3])
a.metric("Prediction", label, f"P(positive) = {out:.3f}", delta_color="off", delta_arrow="off",
         help="The model's sigmoid output for this text: the probability that the review is positive.")
p = next(p for p in probes if p.name == layer)
steps = samples.visible_steps(None if p.mask is None else p.mask[0], p.inputs.shape[1])
masked = len(steps) < p.inputs.shape[1]  # then words are numbered from <start> = 1
words = vocab.decode(enc.ids)
ticks = state_plots.step_ticks(steps - steps[0] if masked else steps, [words[s] for s in steps])
step_title = samples.step_axis_title(cfg)
if (problem := readout.readout_problem(model)) is None:
    curve = readout.class_probabilities(readout.readout_over_time(model, probes))[0, steps]
    b.plotly_chart(prediction_plots.readout_figure(curve, ticks, ["negative", "positive"], None, step_title,
                                                   "The prediction had the review ended after each word"),
                   width="stretch", key="inspect_review_readout")
    b.caption(samples.readout_caption(cfg))
    real = [i for i, s in enumerate(steps) if words[s] != "<pad>"]  # `<start>` first, then the words read
    if len(real) > 1:
        effects = prediction_plots.word_effects(curve[real, 1])
        st.markdown("**Each word, coloured by how much it moved P(positive)**")
        st.markdown(prediction_plots.word_effect_html([words[steps[i]] for i in real[1:]], effects),
                    unsafe_allow_html=True)
        st.caption(samples.word_effect_caption(cfg, float(abs(effects).max())))
else:
    b.caption(f"No word-by-word prediction for this model: {problem}")

keras_layer = model.get_layer(layer)
g = {k: v[0, steps] for k, v in inspection.layer_gates(p, direction).items()}
where = f"layer {layer[4:]}{', ' + direction if direction else ''}"
st.plotly_chart(state_plots.states_heatmap(g["h"], ticks, step_title,
                                           f"Hidden state h after each word ({where}): one row per unit",
                                           inspection.value_ranges(keras_layer)["h"]),
                width="stretch", key="inspect_review_states")
row = cells.row(cfg.cell)  # gates and the state they write (LSTM c, else the candidate); a SimpleRNN's a
gate_keys = ([*row.gates, "c"] if row.memory == "c" else [*row.gates, *row.candidates]) if row.gated else ["a"]
st.plotly_chart(state_plots.gates_heatmaps(g, gate_keys, NAMES, inspection.value_ranges(keras_layer),
                                           ticks, step_title, f"After each word ({where}): "
                                           + ", ".join(NAMES[k] for k in gate_keys)  # gates, and c or ĥ
                                           if row.gated else
                                           f"Pre-activation after each word ({where}; a {row.label} has no gates)"),
                width="stretch", key="inspect_review_gates")
