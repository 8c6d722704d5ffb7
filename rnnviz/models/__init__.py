"""Keras models from a RunConfig: the build, our own recurrent cells, the memory guard and the device.

Lives here: `build` (`build_model`, `recurrent_layer`), `cells` (the Keras cells Keras does not have),
`budget` (what a config will need to train, checked before anything is built), `device` (which device
trains, and what keeps a config off the fused kernel).

May import: `rnnviz.config`, `rnnviz.data`, `rnnviz.backend`.

`build_model` and `recurrent_layer` are importable from here, loaded on first use, so that importing
`rnnviz.models.budget` does not import Keras.
"""

__all__ = ["build_model", "recurrent_layer"]


def __getattr__(name: str):
    if name in __all__:
        from rnnviz.models import build  # lazy: Keras; .budget and .device (CLI checks, rnnviz.ui) are imported without it

        return getattr(build, name)
    raise AttributeError(f"module 'rnnviz.models' has no attribute {name!r}")
