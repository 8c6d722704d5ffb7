"""Home: what RNN Explorer is, where to start, which device trains and which data sets are here."""

import streamlit as st

from rnnviz import backend, ui
from rnnviz.data import loaders as data
from rnnviz.data import standard as datasets

st.title("RNN Explorer")
st.markdown(
    "See what a recurrent network does while it learns. Pick a cell (**SimpleRNN, LSTM, GRU**, optionally "
    "bidirectional and stacked), set its hyperparameters with sliders, train it with Keras and watch the "
    "loss fall and the predictions take shape. Every finished run is kept, so coming back to a "
    "configuration is instant."
)
st.subheader("Where to start")
st.markdown(
    "1. Open **Train** (left). The default preset, *cosine-lstm*, learns to continue a cosine wave.\n"
    "2. Press **Train** and watch the live loss chart; press **Stop** at any time.\n"
    "3. When it finishes, compare the prediction with the actual series, one step ahead and running free.\n"
    "4. New to recurrent networks? The **Learn** pages (left) need no training: an RNN as a for-loop, "
    "LSTM and GRU cell by cell, and why plain RNNs forget.\n"
    "5. Look inside any stored run with the **Inspect** pages (left): hidden states, gates, your own review, predictions.\n"
    "6. The lesson people come for, why an LSTM or GRU remembers what a SimpleRNN forgets: **Compare** opens "
    "on the memory task (the adding problem); **Sweep** draws the memory-span curve over many spans; "
    "**Lesson** walks a class through it, question by question; **Write** makes a language model write."
)
st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
if note := ui.roles.reachable_note():
    st.info(note, icon=":material/school:")

left, right = st.columns(2)
with left:
    st.subheader("Backend and device")
    st.write(ui.device_line())
    with st.expander("Where trainings run (for the teacher)"):
        st.write(f"Trainings run on {ui.where()}.")
        st.caption("Keras runs on TensorFlow, JAX or PyTorch: start the app with e.g. `KERAS_BACKEND=jax "
                   "streamlit run app.py` (or set it in `~/.keras/keras.json`). A stored run opens under any "
                   "of them (see **Backends** below).")
with right:
    st.subheader("Data sets")
    folder = st.text_input("Data folder (optional)", key=ui.keep("data_dir"), placeholder="e.g. /srv/datasets",
                           help="A folder holding the standard files: imdb.npz and imdb_word_index.json, "
                                "cifar-10-batches-py/ or cifar-10-python.tar.gz (directly or in imdb/ and "
                                "cifar10/ subfolders). Otherwise the Keras cache is used, then a download.")
    if folder and (problem := datasets.folder_problem(folder)):
        st.error(problem)
    st.dataframe(data.availability(ui.data_dir()), hide_index=True, width="stretch")
    st.caption("Offline classroom: run `python -m rnnviz prefetch` once on a machine with internet.")

st.subheader("Backends")
st.dataframe(backend.reach(), hide_index=True, width="stretch")
st.caption(backend.SPEED_NOTE)
