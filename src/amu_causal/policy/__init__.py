"""Policy scenarios from the 2016 agreement: more AMU, and the integration grant it would earn.

The 2016 agreement between the government and Local Government Denmark
(*Flere flygtninge i arbejde*) asks municipalities to use AMU industry
packages more and pays an integration grant of DKK 25,000 for each extra
refugee in unsubsidised employment. With the posterior of the Bayesian model,
this module answers: how many more refugees would be employed two years
after settlement, nationally and in each municipality, if

(a) every municipality raised AMU participation to the level of the top
    decile of municipalities (:func:`scale_up_to_top_decile`);
(b) the same extra course places went to refugees with no early employment
    (:func:`target_no_early_employment`);
(c) every municipality reached a participation rate the user chooses
    (:func:`participation_rate`);

and what grant would follow. Every number is a posterior distribution: one
value per posterior draw, summarised by its mean and a credible interval.

Assumptions (stated in every report that uses them, see :data:`ASSUMPTIONS`):
no displacement, the estimated effect transports to the new participants,
new participants are drawn at random from the non-participants of their
municipality (and group), and each extra person employed earns the grant.
"""

from .cells import (
    ASSUMPTIONS,
    GRANT_DKK,
    PolicyCells,
    cells_from_result,
    cells_from_truth,
)
from .plots import plot_policy, plot_policy_municipalities
from .scenarios import (
    PolicyResult,
    national_table,
    participation_rate,
    policy_scenarios,
    scale_up_to_top_decile,
    target_no_early_employment,
    top_decile_rate,
)

__all__ = [
    "ASSUMPTIONS",
    "GRANT_DKK",
    "PolicyCells",
    "PolicyResult",
    "cells_from_result",
    "cells_from_truth",
    "national_table",
    "participation_rate",
    "plot_policy",
    "plot_policy_municipalities",
    "policy_scenarios",
    "scale_up_to_top_decile",
    "target_no_early_employment",
    "top_decile_rate",
]

