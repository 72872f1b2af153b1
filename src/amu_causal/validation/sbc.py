"""Simulation-based calibration of the hierarchical model.

For each fit: draw the model's parameters from its prior, simulate AMU
participation and employment from the model itself for the people of a
small fixed synthetic register, fit the model to the simulated data, and
record the rank of each prior draw among thinned posterior draws. If the
sampler and the model's code agree, every rank is uniform (Talts et al.
2018). Ranks are recorded for every hyperparameter, the ATE (a function of
parameters and data) and the log-likelihood of the simulated data, which
Modrak et al. (2023) show detects problems that parameter ranks miss.
"""

from __future__ import annotations

import time
import traceback
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, log_expit

from ..bayesian import HierarchicalModel
from ..data.schema import ATTACHMENT_GROUPS
from ..engine import fit_design, padded_design
from ..estimands import effect_draws
from ..models.design import Design, build_design
from ..models.joint import HYPERPARAMETERS, linear_predictors
from ..simulate.register import simulate_register
from .execution import check_root_seed, replication_seed, run_study, seed_int, single_threaded
from .store import StudyStore

__all__ = ["SBCResult", "SBCStudy", "rank_statistic", "run_sbc", "uniformity_test"]

_PRIOR_FUNCTIONS: dict = {}  # per process: model key -> (compiled prior draw, names, rngs)


def rank_statistic(prior_value: float, posterior_draws) -> int:
    """Number of posterior draws below the prior draw (Talts et al. 2018).

    Parameters
    ----------
    prior_value : float
        The parameter value the data were simulated from.
    posterior_draws : array-like
        Posterior draws of the same parameter from the fit to those data.

    Returns
    -------
    int
        Between 0 and the number of draws; uniform over fits when the
        posterior is calibrated.

    Examples
    --------
    >>> from amu_causal.validation import rank_statistic
    >>> rank_statistic(0.5, [0.1, 0.7, 0.3, 0.9])
    2
    """
    return int(np.sum(np.asarray(posterior_draws, dtype=float) < float(prior_value)))


def uniformity_test(ranks, n_ranks: int, bins: int = 20) -> tuple[float, float]:
    """Chi-square test that ranks from 0 to ``n_ranks - 1`` are uniform.

    Parameters
    ----------
    ranks : array-like of int
        One rank per fit.
    n_ranks : int
        Number of possible ranks (thinned posterior draws plus one).
    bins : int, default 20
        Equal-width bins; ``n_ranks`` must be a multiple of ``bins`` so that
        each bin holds the same number of rank values.

    Returns
    -------
    statistic, p_value : float
        Pearson's chi-square with ``bins - 1`` degrees of freedom.

    Examples
    --------
    >>> from amu_causal.validation import uniformity_test
    >>> stat, p = uniformity_test(list(range(100)) * 2, n_ranks=100, bins=20)
    >>> stat, p
    (0.0, 1.0)
    """
    ranks = np.asarray(ranks, dtype=int)
    if n_ranks % bins:
        raise ValueError(f"n_ranks ({n_ranks}) must be a multiple of bins ({bins})")
    if ranks.size == 0 or ranks.min() < 0 or ranks.max() >= n_ranks:
        raise ValueError(f"ranks must lie in 0 .. {n_ranks - 1}")
    counts = np.bincount(ranks // (n_ranks // bins), minlength=bins)
    statistic, p_value = stats.chisquare(counts)
    return float(statistic), float(p_value)


@dataclass(frozen=True)
class SBCStudy:
    """Definition of an SBC run (settings only; :meth:`run` does the work).

    Parameters
    ----------
    model : HierarchicalModel, optional
        The model and sampler settings (default: the package's,
        ``HierarchicalModel()``: 2 chains of 1,000 draws after 1,000 warm-up
        iterations). nutpie, no Mundlak terms or latent confounder.
    n : int, default 2,000
        People in the fixed register whose covariates are used.
    n_fits : int, default 200
        Prior draws, each simulated and fitted once.
    thin_to : int, default 99
        Posterior draws kept per fit, evenly spaced over the chains; ranks
        then lie in ``0 .. thin_to``. The kept draws are roughly independent
        only if each quantity's effective sample size (the smaller of bulk
        and tail ESS) is at least ``thin_to`` (Talts et al. 2018, sec. 4.1):
        every fit records it (``ess_sufficient``) and :meth:`SBCResult.tests`
        warns when a fit falls short. Choose draws so that it does not.
    bins : int, default 20
        Bins of the chi-square test; ``thin_to + 1`` must be a multiple.
    root_seed : int, default 1
        Fit *i* draws its prior parameters (stream 0), data (stream 1) and
        sampler seed (stream 2) from ``SeedSequence(root_seed,
        spawn_key=(i, stream))``.
    covariate_seed : int, default 1
        Seed of the synthetic register whose covariates are used.

    Examples
    --------
    >>> from amu_causal.validation import SBCStudy
    >>> study = SBCStudy(n=200, n_fits=4)
    >>> sorted(study.definition())
    ['covariate_seed', 'kind', 'model', 'n', 'root_seed', 'thin_to']
    """

    model: HierarchicalModel = field(default_factory=lambda: HierarchicalModel(
        progressbar=False))
    n: int = 2_000
    n_fits: int = 200
    thin_to: int = 99
    bins: int = 20
    root_seed: int = 1
    covariate_seed: int = 1

    def __post_init__(self):
        if not isinstance(self.model, HierarchicalModel):
            raise TypeError("model must be a HierarchicalModel")
        if self.model.mundlak or self.model.confounder is not None:
            raise ValueError("SBC runs the model without Mundlak terms or latent confounder "
                             "(its prior draws and log-likelihood are of that model)")
        for name in ("n", "n_fits", "thin_to", "bins"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if (self.thin_to + 1) % self.bins:
            raise ValueError(f"thin_to + 1 ({self.thin_to + 1}) must be a multiple of bins "
                             f"({self.bins})")
        if self.thin_to > self.model.draws * self.model.chains:
            raise ValueError("thin_to exceeds the posterior draws of a fit")
        check_root_seed(self.root_seed)
        check_root_seed(self.covariate_seed)

    def definition(self) -> dict:
        """What defines the results (``n_fits`` excluded: more can be added).

        Returns
        -------
        dict
            JSON-serialisable; its hash is the study key.
        """
        model = replace(self.model, random_seed=None, progressbar=False)
        return {"kind": "sbc", "model": repr(model), "n": int(self.n),
                "thin_to": int(self.thin_to), "root_seed": int(self.root_seed),
                "covariate_seed": int(self.covariate_seed)}

    def design(self) -> Design:
        """The fixed covariates (padded to all municipalities).

        Returns
        -------
        Design
        """
        df, _ = simulate_register(self.n, seed=self.covariate_seed)
        return padded_design(build_design(df))

    def run(self, directory, **options) -> SBCResult:
        """Run (or resume) the study; see :func:`run_sbc`.

        Parameters
        ----------
        directory : str or path-like
            Results directory.
        **options
            Passed to :func:`run_sbc` (``executor``, ``workers``, ``progress``).

        Returns
        -------
        SBCResult
        """
        return run_sbc(self, directory, **options)


@dataclass(frozen=True)
class _Task:
    index: int
    study: SBCStudy
    design: Design


def _prior_function(model: HierarchicalModel, design: Design):
    """A compiled draw of every free parameter and deterministic from the prior."""
    from pymc.pytensorf import compile as compile_pymc
    from pytensor.tensor.random.type import RandomGeneratorType

    key = (repr(replace(model, random_seed=None, progressbar=False)), design.n,
           design.municipalities)
    if key not in _PRIOR_FUNCTIONS:
        pm_model = model.build_from_design(design)
        names = [v.name for v in (*pm_model.free_RVs, *pm_model.deterministics)]
        with pm_model:
            function = compile_pymc(inputs=[], outputs=[pm_model[n] for n in names],
                                    random_seed=0)
        rngs = [s for s in function.get_shared() if isinstance(s.type, RandomGeneratorType)]
        _PRIOR_FUNCTIONS.clear()
        _PRIOR_FUNCTIONS[key] = (function, names, rngs)
    return _PRIOR_FUNCTIONS[key]


def _draw_prior(model: HierarchicalModel, design: Design, seed: np.random.SeedSequence):
    from pymc.pytensorf import reseed_rngs

    function, names, rngs = _prior_function(model, design)
    reseed_rngs(rngs, seed_int(seed))
    return dict(zip(names, function(), strict=True))


def _log_likelihood(params: dict, design: Design, treatment, outcome) -> np.ndarray:
    """log p(A, Y | parameters) for each draw (leading axis) of ``params``."""
    eta_d = linear_predictors(params, design, "participation")[0]
    base, shift = linear_predictors(params, design, "employment")
    eta_y = base + treatment[None, :] * shift
    a, y = treatment[None, :], outcome[None, :]
    return (np.sum(np.where(a == 1, log_expit(eta_d), log_expit(-eta_d)), axis=1)
            + np.sum(np.where(y == 1, log_expit(eta_y), log_expit(-eta_y)), axis=1))


def effective_sizes(values) -> tuple[float, float]:
    """Bulk and tail ESS of one scalar quantity's ``(chain, draw)`` draws (ArviZ).

    Parameters
    ----------
    values : array-like
        Shape ``(chains, draws)``.

    Returns
    -------
    ess_bulk, ess_tail : float

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.validation.sbc import effective_sizes
    >>> bulk, tail = effective_sizes(np.random.default_rng(0).normal(size=(2, 500)))
    >>> bulk > 500
    True
    """
    import arviz as az

    values = np.asarray(values, dtype=float)
    return (float(az.ess(values, method="bulk")), float(az.ess(values, method="tail")))


def _scalar_names(params: dict) -> list[tuple[str, str, tuple]]:
    """(label, variable, index) of every scalar hyperparameter."""
    out = []
    for name in HYPERPARAMETERS:
        value = np.asarray(params[name])
        if value.ndim == 0:
            out.append((name, name, ()))
        else:
            labels = {"intercept": ("participation", "employment"),
                      "municipality_sd": ("participation", "employment"),
                      "amu_logit_effect": ATTACHMENT_GROUPS,
                      "attachment_effect": ATTACHMENT_GROUPS[1:]}[name]
            out.extend((f"{name}[{label}]", name, (i,)) for i, label in enumerate(labels))
    return out


def run_fit(task: _Task) -> pd.DataFrame:
    """One SBC fit (runs in a worker): prior draw, data, fit, ranks."""
    study, design = task.study, task.design
    start = time.perf_counter()
    with single_threaded(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = _draw_prior(study.model, design, replication_seed(study.root_seed,
                                                                   task.index, 0))
        params = {k: np.asarray(v)[None, ...] for k, v in prior.items()}
        rng = np.random.default_rng(replication_seed(study.root_seed, task.index, 1))
        eta_d = linear_predictors(params, design, "participation")[0][0]
        treatment = (rng.random(design.n) < expit(eta_d)).astype(np.int8)
        base, shift = linear_predictors(params, design, "employment")
        outcome = (rng.random(design.n) < expit(base[0] + treatment * shift[0])).astype(np.int8)
        k = len(design.municipalities)
        counts = np.maximum(np.bincount(design.municipality_index, minlength=k), 1)
        data = replace(design, treatment=treatment, outcome=outcome,
                       municipal_treatment_mean=np.bincount(
                           design.municipality_index, weights=treatment, minlength=k) / counts)
        prior_ate = float(effect_draws(base, shift, treatment, design.attachment_index,
                                       len(ATTACHMENT_GROUPS), design.municipality_index,
                                       k).ate[0])
        prior_loglik = float(_log_likelihood(params, data, treatment, outcome)[0])
        common = {"fit": task.index, "n_treated": int(treatment.sum()),
                  "employment_rate": float(outcome.mean())}
        try:
            result = fit_design(study.model, data, random_seed=seed_int(
                replication_seed(study.root_seed, task.index, 2)), cores=1, progressbar=False)
        except Exception as err:  # recorded: a failed fit is counted, not lost
            return pd.DataFrame([common | {"quantity": "", "error": "".join(
                traceback.format_exception_only(err)).strip()}])
        post = result.posterior
        n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
        total = n_chain * n_draw
        keep = np.linspace(0, total - 1, study.thin_to).round().astype(int)

        def thinned(values):
            values = np.asarray(values)
            return values.reshape(total, *values.shape[2:])[keep]

        draws = {name: thinned(post[name].values) for name in post.data_vars}
        full = {name: post[name].values.reshape(total, *post[name].shape[2:])
                for name in post.data_vars}
        quantities = [(label, np.asarray(prior[var])[idx], draws[var][(slice(None), *idx)])
                      for label, var, idx in _scalar_names(prior)]
        quantities.append(("ATE", prior_ate, thinned(result.estimand_draws("ATE").values)))
        quantities.append(("log_likelihood", prior_loglik,
                           _log_likelihood(draws, data, treatment, outcome)))
        diag = result.diagnostics()
        own = diag.set_index("parameter")
        # the log-likelihood's own ESS needs every draw, not the thinned ones
        loglik_all = _log_likelihood(full, data, treatment, outcome).reshape(n_chain, n_draw)
        ess_loglik = effective_sizes(loglik_all)
        rows = []
        for label, truth, posterior in quantities:
            if label == "log_likelihood":
                ess_bulk, ess_tail = ess_loglik
            else:
                ess_bulk = float(own["ess_bulk"].get(label, np.nan))
                ess_tail = float(own["ess_tail"].get(label, np.nan))
            rows.append(common | {
                "quantity": label, "prior_value": float(truth),
                "rank": rank_statistic(truth, posterior),
                "posterior_mean": float(np.mean(posterior)),
                "posterior_sd": float(np.std(posterior, ddof=1)),
                "r_hat": float(own["r_hat"].get(label, np.nan)),
                "ess_bulk": ess_bulk, "ess_tail": ess_tail,
                # Talts et al. (2018): ranks are uniform only if the kept draws are
                # roughly independent, i.e. no more are kept than the ESS
                "ess_sufficient": bool(min(ess_bulk, ess_tail) >= study.thin_to),
                "max_r_hat": float(diag["r_hat"].max()),
                "min_ess_bulk": float(diag["ess_bulk"].min()),
                "divergences": int(result.sampler.get("divergences", 0)),
                "converged": not result.problems, "problems": " | ".join(result.problems),
                "compile_seconds": float(result.settings.get("compile_seconds", 0.0)),
                "attempts": len(result.settings.get("attempts", ())),
                "seconds": time.perf_counter() - start, "error": ""})
    return pd.DataFrame(rows)


def run_sbc(study: SBCStudy, directory, *, executor=None, workers: int | None = None,
            progress: bool = True) -> SBCResult:
    """Run (or resume) simulation-based calibration, storing each fit as it finishes.

    Parameters
    ----------
    study : SBCStudy
        What to run.
    directory : path
        Results directory; fits already stored are not run again, and a
        directory holding another study is refused.
    executor : concurrent.futures.Executor, optional
        E.g. ``client.get_executor()`` of a Dask client; by default a local
        pool of ``workers`` single-threaded processes.
    workers : int, optional
        Size of the default pool (default 1).
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    SBCResult

    Notes
    -----
    The data of fit *i* come from the model's own generative process: the
    parameters are one draw from the priors (compiled PyMC forward
    sampling), participation is drawn from the participation part for the
    fixed covariates, and employment from the employment part given the
    *drawn* participation. (Simulating from the calibrated register
    simulator instead would not give uniform ranks even for a correct
    sampler.) Thinning keeps ``thin_to`` evenly spaced draws of the
    ``chains x draws`` posterior.

    References
    ----------
    Talts, S., Betancourt, M., Simpson, D., Vehtari, A. and Gelman, A.
    (2018). Validating Bayesian inference algorithms with simulation-based
    calibration. arXiv:1804.06788.

    Modrak, M., Moon, A. H., Kim, S., Bürkner, P. and others (2023).
    Simulation-based calibration checking for Bayesian computation: the
    choice of test quantities shapes sensitivity. Bayesian Analysis.

    Examples
    --------
    Every fit is an MCMC run, so the lines are not run as doctests:

    >>> from amu_causal.validation import SBCStudy, run_sbc
    >>> result = run_sbc(SBCStudy(n=300, n_fits=40), "sbc_results",
    ...                  workers=2)  # doctest: +SKIP
    >>> result.failed()  # doctest: +SKIP
    0
    """
    store = StudyStore(directory, study.definition())
    design = study.design() if store.missing(study.n_fits) else None
    ranks = run_study(store, study.n_fits, lambda i: _Task(i, study, design), run_fit,
                      executor=executor, workers=workers, progress=progress, label="SBC fits")
    return SBCResult(study=study, ranks=ranks, directory=Path(directory))


@dataclass
class SBCResult:
    """Ranks of an SBC run, with uniformity tests and plots.

    Parameters
    ----------
    study : SBCStudy
    ranks : pandas.DataFrame
        One row per fit and quantity: ``rank``, ``prior_value``, posterior
        mean and SD, and the fit's diagnostics.
    directory : pathlib.Path, optional

    Examples
    --------
    Every fit is an MCMC run, so the lines are not run as doctests:

    >>> from amu_causal.validation import SBCStudy, run_sbc
    >>> result = run_sbc(SBCStudy(n=300, n_fits=40), "sbc_results")  # doctest: +SKIP
    >>> result.tests()[["quantity", "p_value"]]  # doctest: +SKIP
    >>> axes = result.plot_ecdf()  # doctest: +SKIP
    """

    study: SBCStudy
    ranks: pd.DataFrame
    directory: Path | None = None

    @property
    def quantities(self) -> list[str]:
        """Quantities ranked, in the order they were recorded."""
        ok = self.ranks[self.ranks["error"] == ""]
        return list(dict.fromkeys(ok["quantity"]))

    def failed(self) -> int:
        """Number of fits that raised an error.

        Returns
        -------
        int
        """
        return int(self.ranks.loc[self.ranks["error"] != "", "fit"].nunique())

    def tests(self, bins: int | None = None) -> pd.DataFrame:
        """Chi-square uniformity test per quantity.

        Parameters
        ----------
        bins : int, optional
            Number of bins (default: the study's ``bins``); ``thin_to + 1``
            must be a multiple of it.

        Returns
        -------
        pandas.DataFrame
            ``quantity``, ``fits``, ``bins``, ``chi2``, ``p_value``,
            ``p_bonferroni`` (multiplied by the number of quantities, capped
            at 1), ``mean_rank`` (``thin_to / 2`` if uniform),
            ``share_converged`` (fits without a convergence warning),
            ``min_ess`` (the smallest bulk or tail ESS of the quantity over
            fits) and ``share_ess_sufficient`` (fits whose ESS of the
            quantity is at least the ``thin_to`` draws kept).

        Warns
        -----
        UserWarning
            If any fit kept more draws of a quantity than its ESS: its ranks
            are then not independent draws and the histogram is distorted
            (Talts et al. 2018); run longer chains or lower ``thin_to``.
        """
        bins = bins or self.study.bins
        ok = self.ranks[self.ranks["error"] == ""]
        rows = []
        names = self.quantities
        for name in names:
            r = ok.loc[ok["quantity"] == name]
            statistic, p = uniformity_test(r["rank"], self.study.thin_to + 1, bins)
            ess = r[["ess_bulk", "ess_tail"]].min(axis=1)
            rows.append({"quantity": name, "fits": len(r), "bins": bins, "chi2": statistic,
                         "p_value": p, "p_bonferroni": min(1.0, p * len(names)),
                         "mean_rank": float(r["rank"].mean()),
                         "share_converged": float(r["converged"].mean()),
                         "min_ess": float(ess.min()),
                         "share_ess_sufficient": float((ess >= self.study.thin_to).mean())})
        table = pd.DataFrame(rows)
        short = table.loc[table["share_ess_sufficient"] < 1, "quantity"].tolist()
        if short:
            warnings.warn(f"some fits kept more than their ESS ({self.study.thin_to} draws) "
                          f"of {short}: their ranks are autocorrelated and the uniformity "
                          "test is not valid for them; run longer chains or lower thin_to",
                          stacklevel=2)
        return table

    def plot_ecdf(self, quantities=None, axes=None, ci_prob: float = 0.95, random_seed=0):
        """ECDF-difference plots with simultaneous bands; see :func:`plot_sbc_ecdf`.

        Parameters
        ----------
        quantities : sequence of str, optional
            Which quantities (default: all).
        axes : array of matplotlib.axes.Axes, optional
            One per quantity.
        ci_prob : float, default 0.95
            Joint probability of the band.
        random_seed : int, default 0
            Seed of the simulated band.

        Returns
        -------
        numpy.ndarray of matplotlib.axes.Axes
        """
        from .plots import plot_sbc_ecdf

        return plot_sbc_ecdf(self, quantities=quantities, axes=axes, ci_prob=ci_prob,
                             random_seed=random_seed)
