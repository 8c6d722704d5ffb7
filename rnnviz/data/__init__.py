"""The data a run trains on: generated series and tasks, IMDB and CIFAR-10 from their standard files, the
language model's token streams, and the `Dataset` every model trains on.

Lives here: `loaders` (`Dataset`, `load`, the cosine series, the adding problem), `standard` (the
standard files of IMDB and CIFAR-10 found, downloaded and read safely), `imdb` (the reviews and their word
index, as Keras gives them), `cifar` (the CIFAR-10 batches), `lm` (the language model's tokens and n-gram
baselines), `files` (bounded reading of files and archives that users point at or upload), `userdata` (users' own
files in `$RNNVIZ_HOME/datasets/`, named by content hash), `tables` (a user's CSV file read as a table) and
`timeseries` (a user's series split by time, scaled and windowed, with its naive baselines).

May import: `rnnviz.config`. No model, no Keras layers, no Streamlit.
"""
