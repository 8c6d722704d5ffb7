"""Why plain RNNs forget: powers of the recurrent matrix, gradients sent back through time, and an LSTM's
cell path (products of forget gates), in numpy (the "Why plain RNNs forget" page)."""

from __future__ import annotations

import numpy as np

from rnnviz.learn.loop import check_size


def leaky_relu_note(slope: float) -> str:
    """What leaky ReLU with this negative-side slope does for learning, in one sentence or two (the Learn page's
    bullet): no dead units only for a slope above 0, no bend at all at slope 1."""
    if slope <= 0:
        return ("**Leaky ReLU** keeps a slope for x < 0 (the slider), but at slope 0 it *is* ReLU: a unit whose "
                "input stays negative gets no gradient and can die. Any slope above 0 keeps every unit learning.")
    if slope >= 1:
        return ("**Leaky ReLU** keeps a slope for x < 0 (the slider). With slope 1 it is a straight line: no unit "
                "dies, but there is no bend at all, and stacked layers collapse into one.")
    return (f"**Leaky ReLU** keeps a small slope for x < 0 (the slider, {slope:g}), so no unit is ever completely "
            "dead: every input still passes some gradient. At slope 0 it would be ReLU again; at slope 1 a "
            "straight line, with no bend at all.")


def recurrent_matrix(units: int, radius: float, seed: int = 0) -> np.ndarray:
    """A seeded random recurrent matrix scaled to a given spectral radius.

    Args:
        units: its size.
        radius: the spectral radius wanted (the largest |eigenvalue|), > 0.
        seed: random seed.

    Returns:
        `U` `(units, units)`: Gaussian entries (std 1 / sqrt(units)) times `radius / max|eig|`.
    """
    check_size("units", units, 1)
    if not radius > 0:
        raise ValueError(f"`radius` must be a positive number. Received: radius={radius!r}")
    W = np.random.default_rng(seed).standard_normal((units, units)) / np.sqrt(units)
    return W * (radius / spectral_radius(W))


def eigenvalues(W: np.ndarray) -> np.ndarray:
    """The eigenvalues of a square matrix `(n, n)`: complex `(n,)`, sorted by decreasing |eigenvalue|."""
    eig = np.linalg.eigvals(W)
    return eig[np.argsort(-np.abs(eig), kind="stable")]


def spectral_radius(W: np.ndarray) -> float:
    """The largest |eigenvalue| of a square matrix."""
    return float(np.abs(np.linalg.eigvals(W)).max())


def power_norms(W: np.ndarray, n_max: int) -> np.ndarray:
    """The spectral norm (largest singular value) of each power of a matrix.

    Args:
        W: a square matrix `(units, units)`.
        n_max: the highest power.

    Returns:
        `(n_max,)`: entry `n - 1` is `||W^n||_2` for n = 1..n_max. For large n it behaves like
        `spectral_radius(W)^n`: it shrinks to 0 below radius 1 and grows without bound above it.
    """
    check_size("n_max", n_max, 1)
    norms, P = [], np.eye(len(W))
    for _ in range(n_max):  # one matrix product per power
        P = P @ W
        norms.append(np.linalg.norm(P, 2))
    return np.array(norms)


def jacobian_norms(h: np.ndarray, U: np.ndarray) -> np.ndarray:
    """How much a gradient can grow or shrink when sent back n steps through a tanh RNN.

    For `h_t = tanh(W x_t + U h_tm1 + b)` the Jacobian of one step is `J_t = d h_t / d h_tm1 =
    diag(1 - h_t^2) U`. A gradient at the last step T reaches step T - n as
    `dL/dh_(T-n) = (J_T J_(T-1) ... J_(T-n+1))^T dL/dh_T` (each factor transposed is `U^T diag(1 - h_t^2)`).
    This returns the spectral norm of that product, i.e. the largest factor by which the length of any
    gradient vector at step T is multiplied on its way back to step T - n.

    Args:
        h: the hidden states of a real forward run `(time, units)` (`RNNTrace.h`).
        U: the recurrent weights `(units, units)`.

    Returns:
        `(time,)`: entry `n - 1` is `||d h_T / d h_(T-n)||_2` for n = 1..time.
    """
    norms, P = [], np.eye(len(U))
    for h_t in h[::-1]:                    # from the last step backwards
        P = P @ ((1 - h_t ** 2)[:, None] * U)  # P = J_T ... J_t
        norms.append(np.linalg.norm(P, 2))
    return np.array(norms)


def memory_rnn(units: int, radius: float, steps: int, input_scale: float = 0.1, seed: int = 0
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A tanh RNN for the forgetting experiment: random recurrent weights of a given spectral radius, one
    random input per step, no bias.

    Args:
        units: hidden units.
        radius: spectral radius of `U`.
        steps: sequence length.
        input_scale: std of the input weights `W` (0: the state stays at 0 and the RNN acts linearly).
        seed: random seed.

    Returns:
        `(x, W, U, b)`: inputs `(steps, 1)` drawn from N(0, 1), `W` `(units, 1)`, `U` `(units, units)`,
        `b` zeros `(units,)`; ready for `simple_rnn`.
    """
    check_size("steps", steps, 1)
    U = recurrent_matrix(units, radius, seed)
    rng = np.random.default_rng(seed + 1)
    return rng.standard_normal((steps, 1)), input_scale * rng.standard_normal((units, 1)), U, np.zeros(units)


def forget_path(f: np.ndarray) -> np.ndarray:
    """An LSTM's cell path: `d c_T / d c_(T-n)` along the cell state alone, for n = 1..time.

    `c_t = f_t * c_tm1 + i_t * c_hat_t`, so along the cell state (ignoring the paths through `h`, which
    the gates read) `d c_t / d c_tm1 = diag(f_t)` and n steps back it is the product of n forget gates.

    Args:
        f: the forget gates of a real run `(time, units)`.

    Returns:
        `(time, units)`: row `n - 1` is `f_T * f_(T-1) * ... * f_(T-n+1)` for each unit; the norm of that
        diagonal Jacobian is the row's maximum.
    """
    return np.cumprod(np.asarray(f, dtype=np.float64)[::-1], axis=0)
