"""Training: Keras `fit` with the app's callback, scores, jobs, where trainings run, and sweeps.

Lives here, top to bottom (`.importlinter` checks that each imports only those below it): `sweep` (grids of
runs and their table), `jobs` (train-or-load and the server-wide `Trainer` every page and CLI command trains
through), `executors` (the `Executor` interface and the one place that picks one: `make`, `here`), its three
implementations `processes` (trainings in replaceable child processes), `ray` (trainings on a Ray cluster) and
`local` (this process's threads), `packed` (what crosses a process or cluster boundary), `fit` (one training,
events and a stop flag) and `metrics` (predictions and scores of a trained model).

May import: `rnnviz.config`, `rnnviz.data`, `rnnviz.models`, `rnnviz.store`, `rnnviz.backend`.
"""
