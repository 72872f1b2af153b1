"""Prior settings of the joint model, with the reasoning."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Priors"]


@dataclass(frozen=True)
class Priors:
    """Weakly informative priors for the joint participation-employment model.

    Every input is centred (and continuous inputs scaled to SD 1), so the
    scales below are on the log-odds change per standard deviation or per
    category contrast.

    Parameters
    ----------
    participation_intercept : float, default -2.5
        Prior mean of the participation intercept (the log-odds at the
        average person and municipality): about 8 %, since AMU is taken by a
        minority of refugees.
    employment_intercept : float, default -1.0
        Prior mean of the employment intercept: about 27 %, in the range of
        published employment rates of refugees two to three years after
        arrival (20 %-43 %).
    intercept_sd : float, default 1.5
        Normal prior SD of both intercepts: participation rates between
        about 0.4 % and 60 % and employment rates between about 2 % and 88 %
        lie within two SDs.
    control_sd : float, default 0.5
        Normal prior SD of each control's coefficient. One SD of a control
        (or one category contrast) moves the odds by less than a factor of
        e (2.7) with 95 % prior probability. Wider priors (say 2.5 per
        coefficient) make the sum of about forty terms imply that almost
        everyone is employed or almost no one is; see
        :meth:`HierarchicalModel.prior_predictive`.
    attachment_sd : float, default 1.5
        Prior SD of the employment log-odds contrasts of the low, medium
        and high attachment groups against none (large differences are
        expected, so wider).
    effect_sd : float, default 1.0
        Prior SD of the common AMU effect on the employment log-odds (the
        centre the attachment groups' effects are pooled towards): an odds
        ratio between 0.14 and 7.4 with 95 % probability, centred on no
        effect.
    effect_group_sd : float, default 1.0
        Fixed prior SD of each attachment group's AMU effect around the
        common effect: :math:`\\tau_g = \\bar\\tau + s z_g`,
        :math:`z_g \\sim N(0, 1)`. A group with few participants is pulled
        towards the common effect (not to zero, as an independent zero-centred
        prior did); a group with hundreds of participants is estimated from
        its own data. The scale is fixed rather than learned because four
        groups cannot inform a between-group SD: with a half-normal prior on
        it the posterior stayed near complete pooling, pulling the groups'
        effects together by 1 to 3 percentage points at n = 5,000. 1.0 lets
        a group's odds ratio differ from the common one by a factor of up to
        about 7 (two SDs).
    municipality_sd : float, default 1.0
        Scale of the half-normal prior on the SDs of the municipality
        intercepts (participation and employment).
    effect_municipality_sd : float, default 0.5
        Scale of the half-normal prior on the SD of municipality deviations
        of the AMU effect.
    lkj_eta : float, default 2.0
        LKJ shape of the correlation of the two municipality intercepts;
        2 mildly favours small correlations.
    mundlak_sd : float, default 1.0
        Prior SD of the Mundlak coefficients. The municipal means they
        multiply are standardised (SD 1 over municipalities), so this is the
        log-odds change per SD of a municipal mean.

    Examples
    --------
    >>> from amu_causal.models import Priors
    >>> Priors(control_sd=1.0).control_sd
    1.0
    """

    participation_intercept: float = -2.5
    employment_intercept: float = -1.0
    intercept_sd: float = 1.5
    control_sd: float = 0.5
    attachment_sd: float = 1.5
    effect_sd: float = 1.0
    effect_group_sd: float = 1.0
    municipality_sd: float = 1.0
    effect_municipality_sd: float = 0.5
    lkj_eta: float = 2.0
    mundlak_sd: float = 1.0

    def __post_init__(self):
        bad = [k for k, v in asdict(self).items()
               if not k.endswith("_intercept") and not v > 0]
        if bad:
            raise ValueError(f"prior scales must be positive: {bad}")

    def to_dict(self) -> dict:
        """Plain-dict form.

        Returns
        -------
        dict
            Setting name to value.
        """
        return asdict(self)
