"""Figures: arrays or tidy frames in, `go.Figure` out, never any Streamlit.

Lives here: `style` (colours, dashes, colour scales: one look for every figure), `theme` (the last touch
every chart gets: theme colours, projector sizes), `charts` (loss curves, predictions, comparisons,
gradients), `states` and `predictions` (the Inspect pages' figures: inside a layer, step by step; the samples
and what the network predicts), `learn`, `sweep` and `lesson` (the figures of those pages), `adding` (the
adding problem's marks and figures).

May import: everything below it (`rnnviz.learn`, `rnnviz.inspect`, ..., `rnnviz.config`).
"""
