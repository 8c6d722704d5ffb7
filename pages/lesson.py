"""Lesson: a teacher's path through the app, step by step (`?lesson=NAME&step=K`): each step asks the class to
predict before it shows, then shows the chart, the answer and the class's answers."""

import streamlit as st

from rnnviz.learn import lessons as lesson
from rnnviz.ui import lesson as ui_lesson

st.title("Lesson")
name = st.query_params.get("lesson")
if not name:
    found = lesson.available()
    st.caption("A lesson is a path through the app: each step asks you to predict, then shows. Pick one; the "
               "address bar is then a link to the step, for the whole class.")
    if not found:
        st.info(f"No lessons found in {' or '.join(str(f) for f in lesson.folders())}.")
        st.stop()
    for key, path in found.items():
        try:
            lsn = ui_lesson.load(key)
        except lesson.LessonError as e:  # listed as bad; the other lessons stay usable
            st.error(f"Lesson **{key}** cannot be used: {e}", icon=":material/error:")
            continue
        st.button(f"{lsn.title} ({len(lsn.steps)} steps)", key=f"lesson_open_{key}", help=lsn.summary,
                  on_click=ui_lesson.go_to, args=(key, 1))
        st.caption(f"{lsn.summary} Link: `?lesson={key}&step=1`")
    st.stop()

try:
    lsn = ui_lesson.load(name)
except lesson.LessonError as e:
    st.error(str(e))
    st.stop()
ui_lesson.warm(lsn)  # every step's shared charts, once per server
k = ui_lesson.step_number(len(lsn.steps))
ui_lesson.follow_the_teacher(name, k, len(lsn.steps))
step = lsn.steps[k - 1]
st.caption(f"**{lsn.title}** · step {k} of {len(lsn.steps)}")
st.progress(k / len(lsn.steps))
st.header(step.title)
st.markdown(step.text)
ui_lesson.locked(step, f"lesson_set_{name}_{k}")
mine = ui_lesson.question(lsn, k, step)
if mine is None:
    st.info("Lock in your answer to see the chart and what the class thinks.", icon=":material/visibility_off:")
else:
    ui_lesson.show(lsn, step, k)
    ui_lesson.verdict(step, mine)
    ui_lesson.class_answers(lsn, k, step, mine)

back, _, forward = st.columns([1, 3, 1])
back.button("Previous step", disabled=k == 1, on_click=ui_lesson.go_to, args=(name, k - 1), key="lesson_prev",
            icon=":material/arrow_back:")
forward.button("Next step", disabled=k == len(lsn.steps), on_click=ui_lesson.go_to, args=(name, k + 1),
               key="lesson_next", icon=":material/arrow_forward:", type="primary")
