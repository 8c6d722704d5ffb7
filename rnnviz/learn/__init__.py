"""The Learn pages' maths and the lessons.

Lives here: `loop` (a recurrent network as a numpy for-loop), `activations` (activation functions and their
derivatives), `forgetting` (why plain RNNs forget: matrix powers, gradients through time, the LSTM's cell path),
`layers` (seeded Keras layers of any registry cell and their gates), `lessons` (lessons as TOML data: steps,
questions, answers), `tally` (the class's answers, one per browser, in one bounded JSON file).

May import: `rnnviz.inspect`, `rnnviz.probe` and everything below them. No figures, no Streamlit.
"""
