"""Reference gradients for tests: the running backend's own autodiff, called directly.

Independent of `rnnviz.backend.gradient_fn` (which differentiates a sub-model): tests call Keras layers
one by one inside these and compare with what the library computes.
"""

import keras
import numpy as np


def gradient(f, x) -> np.ndarray:
    """d sum(f(x)) / dx as numpy, by tf.GradientTape, jax.grad or torch.autograd (whichever Keras runs)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            total = tf.reduce_sum(f(xt))
        return tape.gradient(total, xt).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        return np.asarray(jax.grad(lambda v: jnp.sum(f(v)))(jnp.asarray(x)))
    if backend == "torch":
        import torch

        xt = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(torch.sum(f(xt)), xt)
        return grad.detach().cpu().numpy()
    raise NotImplementedError(backend)


def jacobian(f, x) -> np.ndarray:
    """d f(x) / dx for a vector-valued f: `(outputs, *x.shape)`, one `gradient` per output."""
    n = keras.ops.convert_to_numpy(f(keras.ops.convert_to_tensor(x))).size
    return np.stack([gradient(lambda v, i=i: keras.ops.reshape(f(v), (-1,))[i], x) for i in range(n)])
