"""The probe: an exact float64 recompute of every recurrent layer, step by step, from its own weights.

Lives here: `core` (`gates`, `probe_model`, `layer_inputs`, hidden states, input gradients, PCA, saturation).
Scripts use the functions below as `rnnviz.probe.gates` and so on.

May import: `rnnviz.models`, `rnnviz.config`, `rnnviz.backend` (for input gradients). No figures.
"""

from rnnviz.probe.core import (OUTPUT, PCA, LayerProbe, gates, hidden_states, input_gradient_fn, input_gradients,
                               layer_inputs, pca, probe_model, recurrent_layers, saturation)

__all__ = ["OUTPUT", "PCA", "LayerProbe", "gates", "hidden_states", "input_gradient_fn", "input_gradients", "layer_inputs",
           "pca", "probe_model", "recurrent_layers", "saturation"]
