"""Streamlit helpers of the Sweep page: the grid picker (kept in the URL), progress per run, Stop all, results.

Every run of a sweep is submitted to the server's `Trainer` (`rnnviz.training.sweep.submit`), so it is an ordinary stored
run: the grid's stored runs show at once, a sweep run again loads, and each run opens in Inspect and Compare.
"""

from __future__ import annotations

import streamlit as st

from rnnviz.config import RunConfig, env, tasks
from rnnviz.training import sweep
from rnnviz.ui import roles
from rnnviz.ui.core import data_dir, trainer

NONE = "(none)"
SUGGEST = {"cell": "simple_rnn,lstm,gru", "steps": "10,25,50,100", "bidirectional": "false,true",
           "recall": "false,true", "optimizer": "adam,rmsprop,sgd", "lr_decay": "none,cosine", "activation": "tanh,relu",
           "pooling": "last,mean", "learning_rate": "0.001,0.003,0.01", "seed": "0,1,2"}


def _suggest(cfg: RunConfig, field: str) -> str:
    """Values to start from for a field: a usual list, else the current value, half and double it."""
    if field == NONE:
        return ""
    if field in SUGGEST:
        return SUGGEST[field]
    value = sweep.value_of(cfg, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    kind = "int" if isinstance(value, int) else "float"
    options = [value // 2 or 1, value, value * 2] if kind == "int" else [value / 2, value, value * 2]
    ok = []
    for v in options:
        try:
            sweep.grid(cfg, {field: [v]})
            ok.append(v)
        except ValueError:
            pass
    return ",".join(str(v) for v in dict.fromkeys(ok))


def _from_link(cfg: RunConfig) -> None:
    """Fills the picker from the link's `vary` (once per link)."""
    text = st.query_params.get("vary")
    if not text or st.session_state.get("sweep_link") == text:
        return
    st.session_state["sweep_link"] = text
    fields = sweep.sweepable(cfg)
    items = [(name.strip().replace("-", "_"), values) for name, _, values in
             (item.partition("=") for item in sweep.from_text(text))]
    unknown = [name for name, _ in items if name not in fields]
    items = [item for item in items if item[0] in fields][:2]
    if unknown:  # never a silent sweep of another field: the link's field is named, and what is shown instead
        names = ", ".join(f"`{env.cut(name, 80)}`" for name in unknown[:3]) + (" …" if len(unknown) > 3 else "")
        st.session_state["sweep_link_note"] = (
            f"This link's `vary` names {names}, which is no field of {cfg.data.name} runs (fields: "
            f"{', '.join(fields)}). " + ("Its other field is shown below" if items else "The page's usual sweep is "
                                         "shown below") + "; nothing runs until you press **Run the sweep**.")
    for k in range(2):
        name, values = items[k] if k < len(items) else (NONE if k else None, "")  # None: the usual first field
        st.session_state[f"sweep_field_{k}"] = name
        st.session_state[f"sweep_values_{k}"] = values


def picker(cfg: RunConfig) -> tuple[dict | None, list[RunConfig]]:
    """Two rows of field + values; the parsed sweep and its configs (`(None, [])` after an error box)."""
    _from_link(cfg)
    if note := st.session_state.pop("sweep_link_note", None):
        st.warning(note, icon=":material/link:")
    fields = sweep.sweepable(cfg)
    defaults = ["cell", tasks.of(cfg.data).sweep_axis or NONE]
    items = []
    for k in range(2):
        key, vkey = f"sweep_field_{k}", f"sweep_values_{k}"
        if st.session_state.get(key) not in [*fields, NONE]:
            st.session_state[key] = defaults[k]
            st.session_state[vkey] = _suggest(cfg, defaults[k]) if defaults[k] != NONE else ""
        left, right = st.columns([1, 3])
        name = left.selectbox(f"Field {k + 1}", ([NONE] if k else []) + fields, key=key,
                              on_change=lambda k=k: st.session_state.update(
                                  {f"sweep_values_{k}": _suggest(cfg, st.session_state[f"sweep_field_{k}"])}))
        values = right.text_input(f"Values of field {k + 1} (comma-separated)", key=vkey, max_chars=400,
                                  disabled=name == NONE)
        if name != NONE:
            items.append(f"{name}={values}")
    try:
        vary, configs = sweep.from_items(cfg, items)
    except ValueError as e:
        st.error(f"{e}. Fix that field or its values to run the sweep.")
        return None, []
    st.query_params["vary"] = sweep.to_text(vary)
    st.session_state["sweep_link"] = st.query_params["vary"]
    return vary, configs


def jobs_of(configs: list[RunConfig]) -> list:
    """The trainer's job for each config of the grid (a stored run loads as a done job); None where neither."""
    t = trainer()
    return [t.get(c.run_id) or (t.submit(c) if t.store.has(c.run_id) else None) for c in configs]


def start(configs: list[RunConfig]) -> None:
    """Submits every run of the grid (stored ones load); an error box instead when one would not fit."""
    try:
        sweep.submit(trainer(), configs, data_dir=data_dir(), owner=roles.owner())
    except ValueError as e:
        st.error(f"Starting the sweep failed: {e}")


def progress(configs: list[RunConfig], vary: dict) -> None:
    """One progress bar per run, and Stop all while any runs; polls while the sweep trains."""
    from rnnviz.training.jobs import ACTIVE  # lazy: Keras; app.py imports rnnviz.ui before its backend check

    jobs = jobs_of(configs)
    for cfg, job in zip(configs, jobs):
        label = sweep.to_text({k: [sweep.value_of(cfg, k)] for k in vary}).replace(";", ", ")
        if job is None:
            st.progress(0.0, text=f"{label}: not trained yet")
            continue
        fraction, text = job.progress()
        st.progress(fraction, text=f"{label}: {text}" + (f" (failed: {job.error})" if job.state == "failed" else "")
                    + (" (stopped)" if job.state == "stopped" else ""))
    active = [j for j in jobs if j is not None and j.state in ACTIVE]
    me = roles.owner()
    if any(me in j.owners for j in active) and st.button(
            "Stop all", help="Stop every queued and running run you asked for in this sweep (a run other "
                             "sessions also wait for keeps training for them)"):
        sweep.stop_all(active, trainer(), me)
    if any(j.owners - {me} for j in active) and roles.is_teacher() and st.button(
            "Stop all for everyone", help="Stop every queued and running run of this sweep, whoever asked for it"):
        sweep.stop_all(active, trainer(), everyone=True)
    was = st.session_state.get("sweep_active", False)
    st.session_state["sweep_active"] = bool(active)
    if was and not active:
        st.rerun(scope="app")  # show the finished results


def open_in_compare(run_ids: list[str]) -> None:
    """Opens the Compare page on these stored runs."""
    st.session_state["compare_runs"] = run_ids
    st.session_state.pop("compare_want", None)
    st.switch_page("pages/compare.py")
