"""What the Inspect, Compare and Write pages compute from trained runs, on top of the probe.

Lives here: `layers` (a recurrent layer's directions, arrays, PCA paths, saturation, equations),
`samples` (which samples are shown and what each step is called), `readout` ("when did it know?"),
`compare` (fair comparisons: the trio, parameter matching, tables), `connectivity` ("what did it look at?" on the
adding problem, graded against the known answer), `write` (sampling from a language model).

May import: `rnnviz.probe` and everything below it. No figures (those are in `rnnviz.plots`), no Streamlit.
"""
