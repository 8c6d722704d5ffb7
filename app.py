"""RNN Explorer: the Streamlit entry point (page config and navigation over the files in pages/)."""

import streamlit as st

st.set_page_config(page_title="RNN Explorer", page_icon=":material/cycle:", layout="wide")
st.navigation({
    "": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    ],
    "Learn": [
        st.Page("pages/learn_rnn.py", title="An RNN is a for-loop", icon=":material/repeat:"),
        st.Page("pages/learn_cells.py", title="LSTM and GRU, cell by cell", icon=":material/memory:"),
        st.Page("pages/learn_memory.py", title="Why plain RNNs forget", icon=":material/trending_down:"),
    ],
}).run()
