"""The joint participation-employment model (a PyMC graph; never samples)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..data.schema import ATTACHMENT_GROUPS
from .confounder import LatentConfounder
from .design import Design
from .priors import Priors

__all__ = ["HYPERPARAMETERS", "PARTS", "build_joint_model", "fused_data", "linear_predictors",
           "mundlak_terms"]

PARTS = ("participation", "employment")

#: Population-level parameters checked for convergence.
HYPERPARAMETERS = ("intercept", "amu_effect_mean", "amu_logit_effect", "attachment_effect",
                   "municipality_sd", "municipality_corr", "amu_effect_sd")


def _zero_sum_scale(k: int) -> float:
    # A sum-to-zero normal with sigma 1 has marginal variance (k-1)/k; rescale to 1.
    return float(np.sqrt(k / (k - 1))) if k > 1 else 1.0


def _control_parameters(part: str, design: Design, priors: Priors):
    """The controls' parameters: numeric slopes and every factor's effects, stacked."""
    beta = (pm.Normal(f"{part}_numeric_coef", 0.0, priors.control_sd, dims="numeric")
            if design.numeric.shape[1] else None)
    effects = [pm.ZeroSumNormal(f"{part}_{name}_effect", sigma=priors.control_sd,
                                dims=f"level_{name}") for name in design.factors]
    return beta, (pt.concatenate(effects) if effects else None)


def _controls(design: Design, beta, stacked):
    """Linear predictor of the controls: numeric slopes plus sum-to-zero factor effects."""
    eta = pt.dot(design.numeric, beta) if beta is not None else 0.0
    if stacked is not None:
        # All factors in one gather from the stacked effects, summed per person: one
        # indexing operation and one scatter-add in the gradient instead of one per factor.
        eta = eta + stacked[design.factor_positions].sum(axis=1)
    return eta


def build_joint_model(
    design: Design, *, priors: Priors | None = None, mundlak: bool = False, joint: bool = True,
    confounder: LatentConfounder | None = None, likelihood: str = "bernoulli",
) -> pm.Model:
    """Build the joint model of AMU participation and employment two years out.

    Parameters
    ----------
    design : Design
        Model inputs from :func:`build_design`.
    priors : Priors, optional
        Prior scales; defaults to :class:`Priors()`.
    mundlak : bool, default False
        Add municipal means of AMU in each attachment group and of the
        controls, standardised, to the employment part (Mundlak terms; see
        :func:`mundlak_terms`), so the AMU effect is identified from
        within-municipality variation, as in the fixed-effects regression.
    joint : bool, default True
        Model participation too. ``False`` fits the employment part alone
        (no correlation of municipality intercepts; used for benchmarks).
    confounder : LatentConfounder, optional
        Add a latent confounder :math:`U` to both parts, marginalised out
        of the likelihood (see :class:`LatentConfounder`); needs
        ``joint=True``. The observations then enter through one
        ``pm.Potential`` named ``likelihood`` instead of the two Bernoulli
        variables.
    likelihood : {"bernoulli", "fused"}, default "bernoulli"
        How the observations enter. ``"bernoulli"``: PyMC's own observed
        Bernoulli variables (or the confounder's ``pm.Potential``), the
        model's reference form, used for prior predictive draws.
        ``"fused"``: one ``pm.Potential`` named ``likelihood`` computed by
        :class:`~amu_causal.models.likelihood.FusedLikelihood` from per-person
        data held in ``pm.Data`` containers (see :func:`fused_data`), so a
        compiled model can take another register of the same shape; the
        log density is the same (tested), each gradient much cheaper. The
        fit engine uses it.

    Returns
    -------
    pymc.Model
        Dims ``municipality`` (codes), ``attachment`` (groups),
        ``attachment_contrast``, ``numeric`` (continuous and binary controls),
        ``level_<factor>`` (levels of each factor control) and ``part``.
        Observed variables ``amu_observed`` (if joint) and
        ``employed_observed``.

    Notes
    -----
    For person :math:`i` in municipality :math:`m` and attachment group
    :math:`g`, with centred numeric controls :math:`x_i` and factor levels
    :math:`f(i)`:

    .. math::

        \\operatorname{logit} P(A_i = 1) &= \\alpha_D + x_i'\\beta_D
            + \\textstyle\\sum_f b_{Df, f(i)} + u_{Dm} \\\\
        \\operatorname{logit} P(Y_i = 1 \\mid A_i) &= \\alpha_Y + x_i'\\beta_Y
            + \\textstyle\\sum_f b_{Yf, f(i)} + \\mu_g + A_i(\\tau_g + v_m) + u_{Ym}
            \\;[+\\, \\tilde A_m'\\lambda_A + \\tilde x_m'\\lambda_x] \\\\
        \\tau_g &\\sim N(\\bar\\tau, s_\\tau^2) \\\\
        (u_{Dm}, u_{Ym})' &= \\operatorname{diag}(\\sigma_D, \\sigma_Y) L z_m,
            \\quad LL' = \\Omega \\sim \\mathrm{LKJ}(\\eta) \\\\
        v_m &= \\sigma_v w_m

    with :math:`\\mu_{none} = 0` and, with Mundlak terms, :math:`\\tilde A_m` the
    standardised municipal means of :math:`A_i 1[g_i = g]` for each group and
    :math:`\\tilde x_m` those of the controls. The attachment groups' AMU
    effects are pooled towards a common effect :math:`\\bar\\tau`
    (``amu_effect_mean``) with a fixed prior SD :math:`s_\\tau`
    (:attr:`Priors.effect_group_sd`), not a learned one: four groups cannot
    inform a between-group SD, and a half-normal prior on it let the posterior
    settle near complete pooling, which pulled the group effects together by
    1 to 3 percentage points at n = 5,000 (docs/validation.rst). Factor
    effects :math:`b_f` sum to zero over levels (``ZeroSumNormal``), so no
    reference level is needed. The municipality effects are non-centred and
    their standard-normal innovations :math:`z, w` sum to zero over municipalities (rescaled to
    unit variance): the intercepts :math:`\\alpha` are then the average over
    municipalities, which removes the intercept/random-effect ridge that
    otherwise slows sampling. The two parts share the correlated
    municipality intercepts and are fitted jointly.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.models import build_design, build_joint_model
    >>> df, _ = ac.simulate_register(n=500, seed=1)
    >>> model = build_joint_model(build_design(df))
    >>> [v.name for v in model.observed_RVs]
    ['amu_observed', 'employed_observed']
    """
    if likelihood not in ("bernoulli", "fused"):
        raise ValueError(f"likelihood must be 'bernoulli' or 'fused', got {likelihood!r}")
    priors = priors or Priors()
    parts = PARTS if joint else PARTS[1:]
    m_idx = design.municipality_index
    g_idx = design.attachment_index
    treated = design.treatment.astype("float64")
    k = len(design.municipalities)
    coords = {
        "municipality": list(design.municipalities),
        "attachment": list(ATTACHMENT_GROUPS),
        "attachment_contrast": list(ATTACHMENT_GROUPS[1:]),
        "numeric": list(design.numeric_names),
        "part": list(parts),
        **{f"level_{name}": list(levels) for name, levels in design.factor_levels.items()},
    }
    with pm.Model(coords=coords) as model:
        means = {"participation": priors.participation_intercept,
                 "employment": priors.employment_intercept}
        alpha = pm.Normal("intercept", [means[p] for p in parts], priors.intercept_sd,
                          dims="part")
        if joint:
            chol, corr, sds = pm.LKJCholeskyCov(
                "municipality_cov", n=2, eta=priors.lkj_eta,
                sd_dist=pm.HalfNormal.dist(priors.municipality_sd, shape=2), compute_corr=True,
            )
            pm.Deterministic("municipality_sd", sds, dims="part")
            pm.Deterministic("municipality_corr", corr[0, 1])
            scale = chol
        else:
            sds = pm.HalfNormal("municipality_sd", priors.municipality_sd, dims="part")
            scale = pt.diag(sds)
        z = pm.ZeroSumNormal("municipality_z", sigma=1.0, dims=("part", "municipality"))
        u = pm.Deterministic("municipality_intercept", pt.dot(scale, z) * _zero_sum_scale(k),
                             dims=("part", "municipality"))
        sigma_v = pm.HalfNormal("amu_effect_sd", priors.effect_municipality_sd)
        w = pm.ZeroSumNormal("amu_effect_z", sigma=1.0, dims="municipality")
        v = pm.Deterministic("amu_effect_municipality", sigma_v * w * _zero_sum_scale(k),
                             dims="municipality")
        mu = pm.Normal("attachment_effect", 0.0, priors.attachment_sd, dims="attachment_contrast")
        # Group effects pooled towards a common effect: a group with few participants
        # borrows strength instead of shrinking to zero on its own prior. The spread is a
        # fixed scale, so there is no funnel and the centred form is the efficient one (a
        # non-centred offset ties a well-measured group's offset to the common effect).
        tau_bar = pm.Normal("amu_effect_mean", 0.0, priors.effect_sd)
        tau = pm.Normal("amu_logit_effect", tau_bar, priors.effect_group_sd, dims="attachment")

        controls = {part: _control_parameters(part, design, priors) for part in parts}
        mu_full = pt.concatenate([pt.zeros(1), mu])
        lam = matrix = None
        if mundlak:
            names, matrix = mundlak_terms(design)
            model.add_coord("mundlak_term", names)
            lam = pm.Normal("mundlak_coef", 0.0, priors.mundlak_sd, dims="mundlak_term")
        strength = None
        if confounder is not None:
            if not joint:
                raise ValueError("a latent confounder needs the joint model (joint=True): it "
                                 "acts on participation and employment together")
            strength = confounder.strength_variable()
        y = len(parts) - 1
        if likelihood == "fused":
            _fused_likelihood(design, joint=joint, confounder=confounder, strength=strength,
                              alpha=alpha, controls=controls, u=u, mu_full=mu_full, tau=tau,
                              v=v, mundlak=(matrix, lam) if mundlak else None)
            return model
        eta_d = None
        if joint:
            eta_d = (alpha[0] + _controls(design, *controls["participation"])
                     + u[0][m_idx])
            if confounder is None:
                pm.Bernoulli("amu_observed", logit_p=eta_d, observed=design.treatment)
        eta_y = (alpha[y] + _controls(design, *controls["employment"]) + mu_full[g_idx]
                 + u[y][m_idx] + treated * (tau[g_idx] + v[m_idx]))
        if mundlak:
            eta_y = eta_y + pt.dot(matrix, lam)[m_idx]
        if confounder is None:
            pm.Bernoulli("employed_observed", logit_p=eta_y, observed=design.outcome)
        else:
            pm.Potential("likelihood", confounder.marginal_loglik(
                eta_d, eta_y, design.treatment, design.outcome, strength).sum())
    return model


def _fused_likelihood(design: Design, *, joint, confounder, strength, alpha, controls, u,
                      mu_full, tau, v, mundlak) -> None:
    """Add the observations as one fused ``pm.Potential`` (see :func:`fused_data`)."""
    from .likelihood import FusedLikelihood

    data = fused_data(design, mundlak=mundlak is not None)
    shared = {name: pm.Data(name, values) for name, values in data.items()}
    empty = pt.zeros(0)

    def stacked(part: str, row: int, *blocks):
        beta, effects = controls[part]
        parts = [alpha[row:row + 1], effects, *blocks]
        return (beta if beta is not None else empty,
                pt.concatenate([b for b in parts if b is not None]))

    y = 1 if joint else 0
    extra = (pt.dot(shared["mundlak_matrix"], mundlak[1]),) if mundlak is not None else ()
    beta_y, theta_y = stacked("employment", y, mu_full, u[y], tau, v, *extra, pt.zeros(1))
    beta_d, theta_d = stacked("participation", 0, u[0]) if joint else (empty, empty)
    nodes, weights = confounder.support() if confounder is not None else ((), ())
    op = FusedLikelihood(joint=joint, nodes=tuple(nodes), weights=tuple(weights))
    loglik = op(beta_d, theta_d, beta_y, theta_y,
                strength if strength is not None else pt.zeros(2),
                shared["fused_numeric"], shared["fused_index_participation"],
                shared["fused_index_employment"], shared["fused_treatment"],
                shared["fused_outcome"])[0]
    pm.Potential("likelihood", loglik)


def fused_data(design: Design, *, mundlak: bool = False) -> dict[str, np.ndarray]:
    """The per-person arrays of the fused likelihood (``pm.Data`` of a fused model).

    Parameters
    ----------
    design : Design
    mundlak : bool, default False
        Include the standardised municipal means (``mundlak_matrix``).

    Returns
    -------
    dict of str to numpy.ndarray
        ``fused_numeric`` (the numeric controls), ``fused_index_participation``
        and ``fused_index_employment`` (each person's positions in the stacked
        gathered parameters; see :mod:`amu_causal.models.likelihood`),
        ``fused_treatment``, ``fused_outcome`` and, with Mundlak terms,
        ``mundlak_matrix``. Two designs with the same
        :func:`~amu_causal.engine.design_shape` give arrays of the same shapes,
        which is what lets a compiled model take either.

    Notes
    -----
    Position 0 of each stack, the intercept, applies to everyone and is not
    in the index arrays. Employment stacks, in order: intercept, factor effects (``L`` levels),
    attachment effects (4), municipality intercepts (``k``), group AMU effects
    (4), municipal AMU deviations (``k``), the Mundlak term per municipality
    (``k``, optional) and a zero. Participants point at their group's and
    municipality's AMU effects, others at the zero. Participation stacks the
    intercept, its factor effects and its municipality intercepts.
    """
    k = len(design.municipalities)
    levels = int(sum(len(v) for v in design.factor_levels.values()))
    m = design.municipality_index.astype(np.int64)
    g = design.attachment_index.astype(np.int64)
    factors = design.factor_positions.astype(np.int64) + 1
    treated = design.treatment.astype(bool)
    participation = np.column_stack([factors, 1 + levels + m])
    groups = len(ATTACHMENT_GROUPS)
    start_u = 1 + levels + groups
    start_tau = start_u + k
    start_v = start_tau + groups
    start_mundlak = start_v + k
    zero = start_mundlak + (k if mundlak else 0)
    if zero > np.iinfo(np.int16).max:
        raise ValueError(f"the model has {zero + 1:,} gathered parameters, more than the fused "
                         "likelihood's 16-bit positions hold; merge rare factor levels")
    columns = [factors, 1 + levels + g, start_u + m,
               np.where(treated, start_tau + g, zero), np.where(treated, start_v + m, zero)]
    if mundlak:
        columns.append(start_mundlak + m)
    data = {
        "fused_numeric": np.ascontiguousarray(design.numeric, dtype=np.float64),
        # 16-bit positions and 8-bit outcomes: the arrays a gradient reads twice then
        # stay in the processor's cache at register size
        "fused_index_participation": np.ascontiguousarray(participation, dtype=np.int16),
        "fused_index_employment": np.ascontiguousarray(np.column_stack(columns),
                                                       dtype=np.int16),
        "fused_treatment": design.treatment.astype(np.int8),
        "fused_outcome": design.outcome.astype(np.int8),
    }
    if mundlak:
        data["mundlak_matrix"] = mundlak_terms(design)[1]
    return data


def mundlak_terms(design: Design) -> tuple[list[str], np.ndarray]:
    """The municipal means of the Mundlak device, standardised.

    The treatment enters the employment part as AMU x attachment group, so
    the fixed-effects analogue needs each municipality's mean of
    :math:`A_i 1[g_i = g]` for every group :math:`g`, besides the means of
    the controls (Mundlak 1978; Wooldridge 2010, sec. 10.7.3). Each column is
    standardised over municipalities (mean 0, SD 1) so that one prior scale
    (:attr:`Priors.mundlak_sd`) fits all of them; columns that do not vary
    (a group with no participants anywhere) are left out.

    Parameters
    ----------
    design : Design

    Returns
    -------
    names : list of str
        ``mean amu[attachment=g]`` for each group, then ``mean <control>``.
    matrix : numpy.ndarray
        ``(municipalities, terms)``.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.models import build_design
    >>> from amu_causal.models.joint import mundlak_terms
    >>> names, matrix = mundlak_terms(build_design(ac.simulate_register(n=2_000, seed=1)[0]))
    >>> names[:2], matrix.shape[1] == len(names)
    (['mean amu[attachment=none]', 'mean amu[attachment=low]'], True)
    """
    m, k = design.municipality_index, len(design.municipalities)
    counts = np.maximum(np.bincount(m, minlength=k), 1)
    columns, names = [], []
    for j, group in enumerate(ATTACHMENT_GROUPS):
        weights = design.treatment * (design.attachment_index == j)
        columns.append(np.bincount(m, weights=weights, minlength=k) / counts)
        names.append(f"mean amu[attachment={group}]")
    for j, control in enumerate(design.controls):
        columns.append(design.municipal_control_means[:, j])
        names.append(f"mean {control}")
    matrix = np.column_stack(columns)
    sd = matrix.std(axis=0)
    keep = sd > 1e-12
    matrix = (matrix[:, keep] - matrix[:, keep].mean(axis=0)) / sd[keep]
    return [name for name, k in zip(names, keep, strict=True) if k], matrix


def linear_predictors(posterior: dict[str, np.ndarray], design: Design,
                      part: str = "employment", parts: tuple[str, ...] = PARTS):
    """Per-draw log-odds from stacked posterior draws, outside PyTensor.

    Parameters
    ----------
    posterior : dict of str to numpy.ndarray
        Posterior draws with the draw axis first (``(S, ...)``), with the
        model's variable names.
    design : Design
        The design the model was built from.
    part : {"employment", "participation"}
        Which part.
    parts : tuple of str
        The parts the model was built with (the ``part`` coordinate).

    Returns
    -------
    base : numpy.ndarray
        ``(S, n)`` log-odds without treatment (employment) or of
        participation.
    shift : numpy.ndarray or None
        ``(S, n)`` the treatment's change of the employment log-odds;
        ``None`` for participation.

    Notes
    -----
    Mirrors :func:`build_joint_model` term by term; a test checks the two
    agree at random parameter values.
    """
    j = list(parts).index(part)
    m_idx, g_idx = design.municipality_index, design.attachment_index
    base = posterior["intercept"][:, j][:, None] + posterior["municipality_intercept"][:, j][
        :, m_idx]
    if design.numeric.shape[1]:
        base = base + posterior[f"{part}_numeric_coef"] @ design.numeric.T
    for name, index in design.factors.items():
        base = base + posterior[f"{part}_{name}_effect"][:, index]
    if part == "participation":
        return base, None
    mu = posterior["attachment_effect"]
    mu_full = np.concatenate([np.zeros((mu.shape[0], 1)), mu], axis=1)
    base = base + mu_full[:, g_idx]
    if "mundlak_coef" in posterior:
        base = base + (posterior["mundlak_coef"] @ mundlak_terms(design)[1].T)[:, m_idx]
    shift = posterior["amu_logit_effect"][:, g_idx] + posterior["amu_effect_municipality"][
        :, m_idx]
    return base, shift
