"""The epoch player: Play / Pause under an epoch slider steps it through the weight snapshots on its own.

Streamlit has no player widget. While playing, a fragment with `run_every` (drawing nothing) reruns on a timer
and asks the page for the next snapshot (a session flag, then a full rerun); the page moves the slider one step
before drawing it, and stops at the last snapshot. The Inspect pages and Write use it through `pick_epoch`.
"""

from __future__ import annotations

import streamlit as st

PLAY_SECONDS = 1.5
"""The player's pace: one snapshot on every this many seconds (or as soon as the page has redrawn)."""


def step(key: str, epochs: list, mirror: str) -> None:
    """Before the epoch slider: a tick of the player moves it one snapshot on; at the last one it stops.

    While playing, the player's own position (`<key>_at`) sets the slider on every run: a timer's request can
    carry the slider value the browser had before the last step arrived, which would otherwise step it back.

    Args:
        key: the epoch slider's widget key.
        epochs: its options, the snapshots in order (the last is the trained model).
        mirror: the session key that keeps a copy of the slider's value across pages.
    """
    at = st.session_state.get(f"{key}_at")
    if not st.session_state.get(f"{key}_playing", False) or at not in epochs:
        st.session_state.pop(f"{key}_tick", None)
        return
    if st.session_state.pop(f"{key}_tick", False):
        at = epochs[min(epochs.index(at) + 1, len(epochs) - 1)]
        st.session_state[f"{key}_playing"] = at != epochs[-1]
    st.session_state[key] = st.session_state[mirror] = st.session_state[f"{key}_at"] = at


def _toggle(key: str, epochs: list) -> None:
    """Play / Pause clicked: playing starts at the slider's epoch, or at the first when it shows the last."""
    playing = not st.session_state.get(f"{key}_playing", False)
    st.session_state[f"{key}_playing"] = playing
    if playing:
        at = st.session_state.get(key)
        st.session_state[f"{key}_at"] = epochs[0] if at == epochs[-1] or at not in epochs else at


def button(key: str, epochs: list, where=st) -> None:
    """Play / Pause under the epoch slider (in `where`); while playing, a timed fragment asks for the next
    snapshot. `key` and `epochs` as in `step`."""
    playing = st.session_state.get(f"{key}_playing", False)
    where.button("Pause" if playing else "Play", key=f"{key}_play", on_click=_toggle, args=(key, epochs),
                 icon=":material/pause:" if playing else ":material/play_arrow:",
                 help=f"Step through the snapshots, one every {PLAY_SECONDS:g} s, up to the trained model.")
    if playing:
        st.session_state[f"{key}_armed"] = False  # this page run draws the fragment: no tick yet
        _ticker(key)


@st.fragment(run_every=PLAY_SECONDS)
def _ticker(key: str) -> None:
    """Draws nothing; on each timed rerun (not the page's own run) asks the page for the next snapshot."""
    if st.session_state.get(f"{key}_armed"):
        st.session_state[f"{key}_tick"] = True
        st.rerun()
    st.session_state[f"{key}_armed"] = True
