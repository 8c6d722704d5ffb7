"""The Learn pages' maths and the lessons.

Lives here: `maths` (a recurrent network as a numpy for-loop, activations, why plain RNNs forget, seeded
Keras layers), `lessons` (lessons as TOML data: steps, questions, answers).

May import: `rnnviz.inspect`, `rnnviz.probe` and everything below them. No figures, no Streamlit.
"""
