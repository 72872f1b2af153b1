"""A latent confounder (motivation / job readiness), marginalised out of the joint model."""

from __future__ import annotations

import functools
import numbers
from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import expit, log_expit, logsumexp

__all__ = ["LatentConfounder"]

_DISTRIBUTIONS = ("normal", "binary")


@dataclass(frozen=True)
class LatentConfounder:
    """An unobserved confounder U acting on AMU participation and on employment.

    U stands for what EVA could not measure: motivation and job readiness.
    It raises (or lowers) the log-odds of participation by
    ``participation`` and of employment two years out by ``employment`` per
    unit of U. These strengths are **not identified by the data**: every
    pair fits the observed data about equally well, and the estimated AMU
    effect is conditional on the pair chosen. Fix them (a sensitivity grid)
    or give them half-normal priors (then the posterior is the prior
    reweighted only slightly; report it as an assumption, not a finding).

    Parameters
    ----------
    participation, employment : float or None, default 0.0
        Strengths :math:`\\lambda_D, \\lambda_Y` on the log-odds scale per
        standard deviation of U, for either distribution (a binary U is
        standardised, so the axes of a grid mean the same for both; its two
        values differ by :math:`\\lambda / \\sqrt{\\pi(1 - \\pi)}` on the
        log-odds scale, :math:`2\\lambda` when :math:`\\pi = 0.5`). ``None``
        gives that strength a half-normal prior with scale ``prior_scale``
        (a confounder that raises it).
    distribution : {"normal", "binary"}, default "normal"
        U ~ N(0, 1), integrated by Gauss-Hermite quadrature with ``nodes``
        points, or a standardised Bernoulli(``prevalence``) variable
        (mean 0, standard deviation 1), integrated exactly over its two
        values (the classic binary-U sensitivity model; two likelihood terms
        per person instead of ``nodes``, so about half the cost per gradient
        of seven nodes).
    nodes : int, default 9
        Gauss-Hermite points (normal U). Worst relative error of a person's
        likelihood over log-odds from -5 to 3, against 40 points (measured;
        ``tests/models/test_confounder.py`` checks the marked entries):

        ======  ==========  ==========  ==========  ==========
        nodes   strength    0.5         1.0         1.5 / 2.0
        ======  ==========  ==========  ==========  ==========
        5                   1e-5        4e-3        4e-2 / 8e-2
        7                   1e-7        2e-4 (*)    8e-3 / 3e-2
        9                   2e-9        2e-5        2e-3 (*) / 1e-2
        15                  5e-14       6e-8        3e-5 / 8e-4
        ======  ==========  ==========  ==========  ==========

        Each node adds about 0.3 ms to a gradient at n = 23,125; use more
        nodes for strengths above 1.5.
    prevalence : float, default 0.5
        :math:`\\pi`, the share of people with the higher value of a binary U.
    prior_scale : float, default 1.0
        Half-normal scale of a strength given as ``None``.

    Notes
    -----
    U is independent of the observed controls and of the municipality, and
    enters the two parts additively on the log-odds scale. Person *i*'s
    contribution to the likelihood is

    .. math::

        \\log \\sum_k w_k\\,
            P(A_i \\mid \\eta_{Di} + \\lambda_D u_k)\\,
            P(Y_i \\mid \\eta_{Yi}(A_i) + \\lambda_Y u_k),

    with nodes :math:`u_k` and weights :math:`w_k` (quadrature or the two
    values of a binary U). U is never sampled per person: the sampler sees
    the same parameters as the plain model (plus the strengths when they
    have priors), so the cost per gradient grows with the number of nodes,
    not with the number of people.

    Examples
    --------
    >>> from amu_causal.models import LatentConfounder
    >>> u = LatentConfounder(participation=0.5, employment=0.5)
    >>> nodes, weights = u.support()
    >>> len(nodes), round(float(weights.sum()), 12)
    (9, 1.0)
    >>> LatentConfounder(distribution="binary").support()[0].tolist()
    [-1.0, 1.0]
    """

    participation: float | None = 0.0
    employment: float | None = 0.0
    distribution: str = "normal"
    nodes: int = 9
    prevalence: float = 0.5
    prior_scale: float = 1.0

    def __post_init__(self):
        if self.distribution not in _DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {_DISTRIBUTIONS}, "
                             f"got {self.distribution!r}")
        if (isinstance(self.nodes, bool) or not isinstance(self.nodes, numbers.Integral)
                or not 2 <= self.nodes <= 40):
            raise ValueError(f"nodes must be a whole number from 2 to 40, got {self.nodes!r}")
        if not 0.0 < self.prevalence < 1.0:
            raise ValueError(f"prevalence must lie strictly between 0 and 1, "
                             f"got {self.prevalence}")
        if not self.prior_scale > 0:
            raise ValueError(f"prior_scale must be positive, got {self.prior_scale}")
        for name in ("participation", "employment"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, numbers.Real)
                                          and np.isfinite(value)):
                raise ValueError(f"{name} strength must be a finite number or None "
                                 f"(a half-normal prior), got {value!r}")

    @property
    def fixed(self) -> bool:
        """Whether both strengths are fixed numbers (a grid cell)."""
        return self.participation is not None and self.employment is not None

    def to_dict(self) -> dict:
        """Plain-dict form.

        Returns
        -------
        dict
            Setting name to value.
        """
        return asdict(self)

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Values of U and their probabilities (quadrature nodes and weights).

        Returns
        -------
        nodes : numpy.ndarray
            Values of U: Gauss-Hermite nodes for a normal U; for a binary U
            :math:`-\\sqrt{\\pi/(1-\\pi)}` and :math:`\\sqrt{(1-\\pi)/\\pi}`
            (mean 0, standard deviation 1).
        weights : numpy.ndarray
            Their probabilities, summing to 1.
        """
        if self.distribution == "binary":
            p = self.prevalence
            return (np.array([-np.sqrt(p / (1 - p)), np.sqrt((1 - p) / p)]),
                    np.array([1 - p, p]))
        nodes, weights = np.polynomial.hermite_e.hermegauss(self.nodes)
        return nodes, weights / weights.sum()

    # -- PyTensor side -----------------------------------------------------------
    def strength_variable(self):
        """The strengths inside a PyMC model: data (fixed) or half-normal variables.

        Fixed strengths are ``pm.Data`` named ``confounder_participation``
        and ``confounder_employment``, so a compiled model can move across a
        grid without recompiling. Either way the pair is recorded as the
        deterministic ``confounder_strength`` (dim ``part``).

        Returns
        -------
        pytensor.tensor.TensorVariable
            The deterministic ``confounder_strength`` of length 2
            (participation, employment). Call inside a model context.
        """
        import pymc as pm
        import pytensor.tensor as pt

        values = []
        for part in ("participation", "employment"):
            value = getattr(self, part)
            name = f"confounder_{part}"
            if value is None:
                values.append(pm.HalfNormal(name, self.prior_scale))
            else:
                values.append(pm.Data(name, float(value)))
        return pm.Deterministic("confounder_strength", pt.stack(values), dims="part")

    def marginal_loglik(self, eta_d, eta_y, treatment, outcome, strength):
        """Per-person log-likelihood of (A, Y) with U summed out (PyTensor).

        Parameters
        ----------
        eta_d, eta_y : pytensor.tensor.TensorVariable
            ``(n,)`` participation and employment log-odds at U = 0.
        treatment, outcome : numpy.ndarray or pytensor.tensor.TensorVariable
            ``(n,)`` observed AMU and employment (0/1).
        strength : pytensor.tensor.TensorVariable
            The two strengths (:meth:`strength_variable`).

        Returns
        -------
        pytensor.tensor.TensorVariable
            ``(n,)`` log-likelihoods.
        """
        import pytensor.tensor as pt

        nodes, weights = self.support()
        # The signs are computed in the graph from A and Y themselves, so the only
        # per-person inputs are the data arrays (which a compiled model can swap for
        # shared variables; the fit engine uses the fused likelihood instead).
        treatment = pt.as_tensor_variable(treatment)
        outcome = pt.as_tensor_variable(outcome)
        took = pt.eq(treatment, 1)
        employed = pt.eq(outcome, 1)
        sign_a = 2.0 * treatment - 1.0
        sign_y = 2.0 * outcome - 1.0
        # Hand-written rather than pt.sigmoid per node, because the exponential
        # calls dominate a gradient: P(A_i | u) = 1 / (1 + exp(-s_i eta_i)
        # exp(-s_i lambda u)), and the second factor takes only two values per
        # node (s_i = +-1), so each person needs one exp per part and one log,
        # whatever the number of nodes; the rest is products and one division
        # per node, summed in probability space and fused into single loops.
        # Measured at n = 23,125 with numba (CPU time per gradient, busy
        # machine): seven nodes 5.1 ms with a sigmoid per node and part, 4.1 ms
        # in this form; a binary U 2.6 ms; the plain model 3.8 ms. The exponent
        # is clipped at 700 so exp cannot overflow for absurd log-odds during
        # warm-up; a person's likelihood
        # is a product of two probabilities bounded away from 0 for log-odds
        # below about 700, so nothing underflows.
        odds_d = pt.exp(pt.clip(-sign_a * eta_d, -700.0, 700.0))
        odds_y = pt.exp(pt.clip(-sign_y * eta_y, -700.0, 700.0))
        mixture = 0.0
        for u, w in zip(nodes, weights, strict=True):
            shift_d = pt.exp(-strength[0] * float(u))  # scalars: two per node and part
            shift_y = pt.exp(-strength[1] * float(u))
            factor_d = pt.switch(took, shift_d, 1.0 / shift_d)
            factor_y = pt.switch(employed, shift_y, 1.0 / shift_y)
            mixture = mixture + float(w) / ((1.0 + odds_d * factor_d)
                                            * (1.0 + odds_y * factor_y))
        return pt.log(mixture)

    # -- NumPy side (estimands) ---------------------------------------------------
    def marginal_loglik_numpy(self, eta_d, eta_y, treatment, outcome, strength) -> np.ndarray:
        """:meth:`marginal_loglik` in NumPy, for one parameter value (tests).

        Parameters
        ----------
        eta_d, eta_y : numpy.ndarray
            ``(n,)`` participation and employment log-odds at U = 0.
        treatment, outcome : numpy.ndarray
            ``(n,)`` observed AMU and employment (0/1).
        strength : sequence of float
            The two strengths (participation, employment).

        Returns
        -------
        numpy.ndarray
            ``(n,)`` log-likelihoods.
        """
        nodes, weights = self.support()
        sign_a = (2.0 * np.asarray(treatment, dtype=float) - 1.0)[:, None]
        sign_y = (2.0 * np.asarray(outcome, dtype=float) - 1.0)[:, None]
        z_d = np.asarray(eta_d)[:, None] + strength[0] * nodes[None, :]
        z_y = np.asarray(eta_y)[:, None] + strength[1] * nodes[None, :]
        terms = np.log(weights)[None, :] + log_expit(sign_a * z_d) + log_expit(sign_y * z_y)
        return logsumexp(terms, axis=1)

    def participation_probability(self, eta_d, strength) -> np.ndarray:
        """Each person's probability of AMU participation with U integrated out.

        Parameters
        ----------
        eta_d : numpy.ndarray
            ``(S, n)`` participation log-odds at U = 0.
        strength : numpy.ndarray
            ``(S, 2)`` strengths per draw.

        Returns
        -------
        numpy.ndarray
            ``(S, n)`` participation probabilities.
        """
        nodes, weights = self.support()
        lam_d = np.asarray(strength, dtype=float)[:, 0][:, None]
        # one (S, n) pass per node instead of an (S, n, nodes) array: the
        # temporaries stay small and the sum needs no reshuffling
        out = np.zeros(np.shape(eta_d))
        for u, w in zip(nodes, weights, strict=True):
            out += w * expit(eta_d + lam_d * u)
        return out

    def potential_outcomes(self, base, shift, eta_d, treatment, strength):
        """Each person's employment probabilities without and with AMU, U integrated out.

        Parameters
        ----------
        base, shift : numpy.ndarray
            ``(S, n)`` employment log-odds without treatment and the
            treatment's change (as from :func:`linear_predictors`).
        eta_d : numpy.ndarray
            ``(S, n)`` participation log-odds.
        treatment : numpy.ndarray
            ``(n,)`` observed AMU.
        strength : numpy.ndarray
            ``(S, 2)`` strengths (participation, employment) per draw.

        Returns
        -------
        p0, p1 : numpy.ndarray
            ``(S, n)``.

        Notes
        -----
        U is integrated over its distribution given each person's controls
        and observed participation,
        :math:`p(u \\mid A_i, x_i) \\propto w(u)\\,P(A_i \\mid \\eta_{Di} +
        \\lambda_D u)`: participants are more motivated than their controls
        alone suggest, which is what makes the ATT differ from the ATE.
        Averaged over people this recovers the population distribution of
        U, so the ATE is the effect for the sample's covariate mix.
        """
        nodes, weights = self.support()
        strength = np.asarray(strength, dtype=float)
        sign_a = (2.0 * np.asarray(treatment, dtype=float) - 1.0)[None, :]
        lam_d = strength[:, 0][:, None]
        lam_y = strength[:, 1][:, None]
        # A loop over the few nodes with (S, n) arrays rather than (S, n, nodes)
        # arrays and scipy's general logsumexp: the same formula with less memory
        # traffic (binary U, n = 23,125, 500 draws in HierarchicalModel's 20-draw
        # chunks: 1.1 s against 5.1 s for the three-dimensional form). The weights
        # of U given A are normalised in log space against their maximum, so nothing
        # underflows.
        log_post = [np.log(w) + log_expit(sign_a * (eta_d + lam_d * u))
                    for u, w in zip(nodes, weights, strict=True)]
        top = functools.reduce(np.maximum, log_post)
        total = np.zeros_like(top)
        p0 = np.zeros_like(top)
        p1 = np.zeros_like(top)
        with_amu = base + shift
        for u, lp in zip(nodes, log_post, strict=True):
            post = np.exp(lp - top, out=lp)
            total += post
            p0 += post * expit(base + lam_y * u)
            p1 += post * expit(with_amu + lam_y * u)
        p0 /= total
        p1 /= total
        return p0, p1
