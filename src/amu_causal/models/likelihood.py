"""The joint model's likelihood and its gradient in one pass over the people.

Why this is written by hand: the likelihood is the only part of the model
whose cost grows with the register. Expressed in PyTensor, every term of the
two linear predictors (dense controls, eight factor gathers, municipality,
attachment group, AMU x group, AMU x municipality) is a separate array of
``n`` values, and the gradient is as many more passes (a transposed product
and a scatter-add per term). PyTensor does not fuse gathers, scatters and
reductions into one loop. Here one loop over the people computes both
log-odds, the log-likelihood and the per-person derivative, and adds each
person's contribution to every parameter's gradient at once, so each row of
the data is read once per gradient (measured in docs/performance.rst).

The parameters enter through two stacked vectors per part:

* ``beta``: the slopes of the dense numeric controls (``numeric``);
* ``theta``: every effect that is *gathered* (intercept, factor levels,
  municipality, attachment group, the AMU effects): person *i*'s log-odds
  are ``X[i] @ beta + sum_j theta[index[i, j]]``. Terms that apply only to
  participants point, for others, at a final zero slot of ``theta``.

The PyMC model builds ``theta`` from its named parameters with
``pt.concatenate``, so priors, transforms and names stay PyMC's;
:func:`fused_data` computes the per-person arrays (which a compiled model
swaps for another register's), and ``tests/models/test_likelihood.py``
checks log density and gradient against the model with PyMC's own Bernoulli
likelihood at random parameter values.

With a latent confounder :math:`U` (quadrature nodes :math:`u_k`, weights
:math:`w_k`), person *i* contributes
:math:`\\log \\sum_k w_k P(A_i \\mid \\eta_{Di} + \\lambda_D u_k)
P(Y_i \\mid \\eta_{Yi} + \\lambda_Y u_k)`, and the gradient with respect to
the two strengths is accumulated in the same loop.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

__all__ = ["FusedLikelihood", "fused_loglik"]

_CLIP = 700.0  # exp(700) is finite: no overflow for absurd log-odds during warm-up


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _linear_predictors(beta_d, theta_d, beta_y, theta_y, X, index_d, index_y, joint,
                       eta_d, eta_y):
    """``eta[i] = theta[0] + X[i] @ beta + sum_j theta[index[i, j]]`` for both parts."""
    for i in range(X.shape[0]):
        value_y = theta_y[0]
        for j in range(X.shape[1]):
            value_y += X[i, j] * beta_y[j]
        for j in range(index_y.shape[1]):
            value_y += theta_y[index_y[i, j]]
        eta_y[i] = value_y
        if joint:
            value_d = theta_d[0]
            for j in range(X.shape[1]):
                value_d += X[i, j] * beta_d[j]
            for j in range(index_d.shape[1]):
                value_d += theta_d[index_d[i, j]]
            eta_d[i] = value_d


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def _accumulate(slope_d, slope_y, X, index_d, index_y, joint, g_beta_d, g_theta_d, g_beta_y,
                g_theta_y):
    """Each person's slope times their row of ``X`` and at each of their positions."""
    total_d = 0.0
    total_y = 0.0
    for i in range(X.shape[0]):
        r = slope_y[i]
        total_y += r
        for j in range(X.shape[1]):
            g_beta_y[j] += r * X[i, j]
        for j in range(index_y.shape[1]):
            g_theta_y[index_y[i, j]] += r
        if joint:
            r = slope_d[i]
            total_d += r
            for j in range(X.shape[1]):
                g_beta_d[j] += r * X[i, j]
            for j in range(index_d.shape[1]):
                g_theta_d[index_d[i, j]] += r
    g_theta_y[0] += total_y
    if joint:
        g_theta_d[0] += total_d


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _bernoulli(eta, observed, slope):
    """Sum of Bernoulli log-likelihoods; ``slope`` receives ``observed - sigmoid(eta)``.

    ``log sigmoid(z) = min(z, 0) - log(1 + exp(-|z|))`` with ``z = s * eta``,
    ``s = 2 * observed - 1``, never overflows; ``log`` rather than ``log1p``
    because the argument lies in [1, 2], where the two differ by less than
    1e-16 in absolute terms, and ``log`` is about three times as fast here.
    """
    total = 0.0
    for i in range(eta.shape[0]):
        sign = 2.0 * observed[i] - 1.0
        z = sign * eta[i]
        e = np.exp(-abs(z))
        total += min(z, 0.0) - np.log(1.0 + e)
        slope[i] = sign * (e if z >= 0.0 else 1.0) / (1.0 + e)
    return total


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _mixture(eta_d, eta_y, treatment, outcome, strength, nodes, weights, slope_d, slope_y,
             g_strength):
    """Log-likelihood with U summed out over ``nodes``; slopes and strength gradient."""
    k = nodes.shape[0]
    # P(A = 1 | u) = 1 / (1 + exp(-eta) exp(-lambda u)), P(A = 0 | u) likewise with signs
    # exp(-s lambda u) for s = +1 and s = -1 (nodes need not be symmetric)
    shift_d = (np.exp(-strength[0] * nodes), np.exp(strength[0] * nodes))
    shift_y = (np.exp(-strength[1] * nodes), np.exp(strength[1] * nodes))
    total = 0.0
    for i in range(eta_d.shape[0]):
        sign_d = 2.0 * treatment[i] - 1.0
        sign_y = 2.0 * outcome[i] - 1.0
        # 1 / (1 + exp(x) r) with x = -s eta: for x > 0 it is exp(-x) / (exp(-x) + r), and
        # the common exp(-x) is taken out of the mixture into its logarithm, so terms
        # cannot underflow however far out both log-odds are.
        x_d = min(max(-sign_d * eta_d[i], -_CLIP), _CLIP)
        x_y = min(max(-sign_y * eta_y[i], -_CLIP), _CLIP)
        lead_d, mult_d = (np.exp(-x_d), 1.0) if x_d > 0.0 else (1.0, np.exp(x_d))
        lead_y, mult_y = (np.exp(-x_y), 1.0) if x_y > 0.0 else (1.0, np.exp(x_y))
        row_d = shift_d[0] if treatment[i] == 1 else shift_d[1]
        row_y = shift_y[0] if outcome[i] == 1 else shift_y[1]
        mixture = 0.0
        d_eta_d = 0.0
        d_eta_y = 0.0
        d_lam_d = 0.0
        d_lam_y = 0.0
        for q in range(k):
            c_d = mult_d * row_d[q]
            c_y = mult_y * row_y[q]
            inv_d = 1.0 / (lead_d + c_d)
            inv_y = 1.0 / (lead_y + c_y)
            term = weights[q] * inv_d * inv_y
            mixture += term
            # d/d eta of -log(1 + exp(-s (eta + lambda u))) = s c / (1 + c)
            a_d = term * sign_d * c_d * inv_d
            a_y = term * sign_y * c_y * inv_y
            d_eta_d += a_d
            d_eta_y += a_y
            d_lam_d += a_d * nodes[q]
            d_lam_y += a_y * nodes[q]
        total += np.log(mixture) - max(x_d, 0.0) - max(x_y, 0.0)
        slope_d[i] = d_eta_d / mixture
        slope_y[i] = d_eta_y / mixture
        g_strength[0] += d_lam_d / mixture
        g_strength[1] += d_lam_y / mixture
    return total


@numba.njit(cache=True, nogil=True, error_model="numpy")
def fused_loglik(beta_d, theta_d, beta_y, theta_y, strength, X, index_d, index_y,
                 treatment, outcome, joint, nodes, weights):
    """Log-likelihood of the people and its gradient (see the module notes).

    Parameters
    ----------
    beta_d, theta_d, beta_y, theta_y : numpy.ndarray
        Participation and employment parameters (``beta_d``/``theta_d``
        unused and may be empty when ``joint`` is false).
    strength : numpy.ndarray
        ``(2,)`` strengths of the latent confounder (unused without nodes).
    X : numpy.ndarray
        ``(n, p)`` numeric controls.
    index_d, index_y : numpy.ndarray
        ``(n, J)`` positions into ``theta_d`` and ``theta_y``.
    treatment, outcome : numpy.ndarray
        ``(n,)`` AMU and employment, 0 or 1.
    joint : bool
        Whether participation is modelled.
    nodes, weights : numpy.ndarray
        Values of U and their probabilities; empty without a confounder.

    Returns
    -------
    tuple
        Log-likelihood, then the gradients with respect to ``beta_d``,
        ``theta_d``, ``beta_y``, ``theta_y`` and ``strength``.
    """
    n = X.shape[0]
    g_beta_d = np.zeros_like(beta_d)
    g_theta_d = np.zeros_like(theta_d)
    g_beta_y = np.zeros_like(beta_y)
    g_theta_y = np.zeros_like(theta_y)
    g_strength = np.zeros(2)
    eta_y = np.empty(n)
    slope_y = np.empty(n)
    eta_d = np.empty(n if joint else 0)
    slope_d = np.empty(n if joint else 0)
    _linear_predictors(beta_d, theta_d, beta_y, theta_y, X, index_d, index_y, joint,
                       eta_d, eta_y)
    if nodes.shape[0] == 0:
        total = _bernoulli(eta_y, outcome, slope_y)
        if joint:
            total += _bernoulli(eta_d, treatment, slope_d)
    else:
        total = _mixture(eta_d, eta_y, treatment, outcome, strength, nodes, weights,
                         slope_d, slope_y, g_strength)
    _accumulate(slope_d, slope_y, X, index_d, index_y, joint, g_beta_d, g_theta_d, g_beta_y,
                g_theta_y)
    return total, g_beta_d, g_theta_d, g_beta_y, g_theta_y, g_strength


class FusedLikelihood(Op):
    """PyTensor Op: the joint model's log-likelihood, gradient computed alongside.

    Outputs the log-likelihood (a scalar) and, as further outputs, its
    gradients; :meth:`L_op` returns those, so a graph that asks for the
    log density and its gradient (as NUTS does) runs the loop once.

    Parameters
    ----------
    joint : bool
        Whether participation is modelled.
    nodes, weights : tuple of float
        The latent confounder's support (empty: no confounder).
    """

    __props__ = ("joint", "nodes", "weights")

    def __init__(self, joint: bool = True, nodes: tuple = (), weights: tuple = ()):
        self.joint = bool(joint)
        self.nodes = tuple(float(u) for u in nodes)
        self.weights = tuple(float(w) for w in weights)
        if len(self.nodes) != len(self.weights):
            raise ValueError("nodes and weights must have the same length")
        if self.nodes and not self.joint:
            raise ValueError("a latent confounder needs the joint model")

    _PARAMETERS = 5  # beta_d, theta_d, beta_y, theta_y, strength

    def make_node(self, beta_d, theta_d, beta_y, theta_y, strength, X, index_d, index_y,
                  treatment, outcome):
        params = [pt.as_tensor_variable(v).astype("float64")
                  for v in (beta_d, theta_d, beta_y, theta_y, strength)]
        data = [pt.as_tensor_variable(X).astype("float64"),
                pt.as_tensor_variable(index_d).astype("int16"),
                pt.as_tensor_variable(index_y).astype("int16"),
                pt.as_tensor_variable(treatment).astype("int8"),
                pt.as_tensor_variable(outcome).astype("int8")]
        outputs = [pt.dscalar()] + [p.type() for p in params]
        return Apply(self, params + data, outputs)

    def perform(self, node, inputs, output_storage):
        result = fused_loglik(*inputs, self.joint, np.array(self.nodes),
                              np.array(self.weights))
        output_storage[0][0] = np.asarray(result[0])
        for storage, value in zip(output_storage[1:], result[1:], strict=True):
            storage[0] = value

    def connection_pattern(self, node):
        connected = [True] * len(node.outputs)
        return ([connected] * self._PARAMETERS
                + [[False] * len(node.outputs)] * (len(node.inputs) - self._PARAMETERS))

    def L_op(self, inputs, outputs, output_grads):
        if any(not isinstance(g.type, DisconnectedType) for g in output_grads[1:]):
            raise NotImplementedError("the gradient outputs of FusedLikelihood have no "
                                      "gradient of their own (second derivatives)")
        g = output_grads[0]
        return ([g * gradient for gradient in outputs[1:]]
                + [disconnected_type() for _ in inputs[self._PARAMETERS:]])


# PyTensor caches the compiled wrapper under the Op's props and this integer; numba
# would not notice a change of the kernels it calls, so the key is this file's hash.
_SOURCE_KEY = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:15], 16)


def _register_numba() -> None:
    from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

    @register_funcify_default_op_cache_key(FusedLikelihood)
    def _funcify(op, node=None, **kwargs):
        joint = op.joint
        nodes = np.array(op.nodes, dtype=np.float64)
        weights = np.array(op.weights, dtype=np.float64)

        @numba.njit
        def fused(beta_d, theta_d, beta_y, theta_y, strength, X, index_d, index_y,
                  treatment, outcome):
            # PyTensor passes arrays of any layout; the loops vectorise only on
            # contiguous ones (ascontiguousarray copies nothing when they already are).
            c = np.ascontiguousarray
            total, g1, g2, g3, g4, g5 = fused_loglik(
                c(beta_d), c(theta_d), c(beta_y), c(theta_y), c(strength), c(X), c(index_d),
                c(index_y), c(treatment), c(outcome), joint, nodes, weights)
            return np.asarray(total), g1, g2, g3, g4, g5

        return fused, _SOURCE_KEY


_register_numba()
