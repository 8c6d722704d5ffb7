"""RNN Explorer: the Streamlit entry point (page config and navigation over the files in pages/)."""

import streamlit as st

from rnnviz import backend
from rnnviz.ui import projector, roles

st.set_page_config(page_title="RNN Explorer", page_icon=":material/cycle:", layout="wide",
                   initial_sidebar_state=projector.sidebar_state(),
                   menu_items={"About": "RNN Explorer: see what a recurrent network does while it learns."})
if (problem := backend.problem()) is not None:  # unknown or uninstalled KERAS_BACKEND: one line, no traceback
    st.error(problem)
    st.stop()
projector.setup()  # the Projector mode toggle; every chart styled for this session's mode and theme
roles.remember_browser()  # this browser's id in its cookie: a reload keeps its votes, runs and teacher's unlock
roles.unlock()  # the teacher's link (`?teacher=KEY`) unlocks this browser; the key leaves the address bar
roles.lock_control()  # an unlocked browser can lock itself again
st.navigation({
    "": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/sweep.py", title="Sweep", icon=":material/grid_view:"),
        st.Page("pages/write.py", title="Write", icon=":material/edit:"),
        st.Page("pages/lesson.py", title="Lesson", icon=":material/school:"),
    ],
    "Learn": [
        st.Page("pages/learn_rnn.py", title="An RNN is a for-loop", icon=":material/repeat:"),
        st.Page("pages/learn_cells.py", title="Gated cells, cell by cell", icon=":material/memory:"),
        st.Page("pages/learn_memory.py", title="Why plain RNNs forget", icon=":material/trending_down:"),
    ],
    "Inspect": [
        st.Page("pages/inspect_states.py", title="Hidden states", icon=":material/grid_on:"),
        st.Page("pages/inspect_gates.py", title="Gates", icon=":material/tune:"),
        st.Page("pages/inspect_review.py", title="Type your own review", icon=":material/edit_note:"),
        st.Page("pages/inspect_predictions.py", title="Predictions", icon=":material/insights:"),
    ],
}).run()
