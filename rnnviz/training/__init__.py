"""Training: Keras `fit` with the app's callback, scores, jobs, where trainings run, and sweeps.

Lives here: `fit` (one training, events and a stop flag), `metrics` (predictions and scores of a trained
model), `jobs` (train-or-load and the server-wide queue), `executors` (the `Executor` interface and the local
pool), `processes` (trainings in replaceable child processes), `ray` (trainings on a Ray cluster), `sweep`.

May import: `rnnviz.config`, `rnnviz.data`, `rnnviz.models`, `rnnviz.store`, `rnnviz.backend`.
"""
