"""Home: what RNN Explorer is, where to start, which device trains and which data sets are here."""

import streamlit as st

from rnnviz import data, ui

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
    "3. When it finishes, compare the prediction with the actual series, one step ahead and running free."
)
st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")

left, right = st.columns(2)
with left:
    st.subheader("Device")
    st.write(ui.device_line())
    st.caption("TensorFlow uses a GPU when it finds one (Linux: `pip install \"tensorflow[and-cuda]\"`).")
with right:
    st.subheader("Data sets")
    st.dataframe(data.availability(), hide_index=True, width="stretch")
