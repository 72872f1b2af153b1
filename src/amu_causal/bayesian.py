"""The Bayesian hierarchical model: specification, fit and causal estimands."""

from __future__ import annotations

import numbers
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import expit
from threadpoolctl import threadpool_limits

from .data.municipalities import municipalities
from .data.schema import ATTACHMENT_GROUPS
from .diagnostics import (  # noqa: F401  (overlap_table: also importable from here)
    OVERLAP_LIMIT,
    Thresholds,
    check_convergence,
    mcmc_diagnostics,
    overlap_table,
)
from .estimands import (
    EffectDraws,
    check_level,
    concatenate,
    effect_draws,
    effect_draws_from_probabilities,
    effect_sums_by_cell,
    rank_draws,
    summarize_draws,
)
from .models.confounder import LatentConfounder
from .models.design import Design, build_design
from .models.joint import HYPERPARAMETERS, PARTS, build_joint_model, linear_predictors
from .models.priors import Priors
from .results import BayesianResult
from .sampling import SamplerSettings, available_cores

__all__ = ["HierarchicalModel"]

_CHUNK = 20  # posterior draws per g-computation chunk (3.7 MB per array at n = 23,125: the
# temporaries stay in cache; 200 draws per chunk measured 2-3 times slower)


@dataclass(frozen=True)
class HierarchicalModel:
    """Joint Bayesian model of AMU participation and employment, partially pooled.

    The constructor only stores settings; :meth:`fit` does the work.

    Parameters
    ----------
    priors : Priors, optional
        Prior scales (see :class:`amu_causal.models.Priors` for the reasoning).
    mundlak : bool, default False
        Add municipal means (Mundlak terms) to the employment part, so the
        AMU effect is identified from within-municipality variation like the
        fixed-effects regression. Without them, the correlated municipality
        intercepts of the two parts absorb municipal differences in AMU use.
    joint : bool, default True
        Model participation and employment together (needed for the latent
        confounder of the sensitivity analysis). ``False`` models employment
        alone.
    confounder : LatentConfounder, optional
        A latent confounder (motivation / job readiness) of fixed or
        prior-distributed strength, integrated out of the likelihood; the
        estimands then adjust for it. Its strengths are not identified by
        the data: the result is conditional on them (see
        :mod:`amu_causal.sensitivity`).
    sampler : {"nutpie", "pymc", "numpyro"}, default "nutpie"
        NUTS implementation (see :class:`amu_causal.sampling.SamplerSettings`).
    draws, tune, chains : int
        Kept draws and warm-up per chain, and chains (default 1000, 1000, 2).
    target_accept : float, default 0.8
        NUTS adaptation target.
    low_rank_mass_matrix : bool, default True
        nutpie's low-rank mass matrix adaptation. It captures the posterior
        correlation between the intercepts and the factor effects, which a
        diagonal mass matrix does not. Measured: on the default register it
        raised the minimum bulk ESS about threefold at the same wall time; at
        n = 5,000 it doubled the wall time but still gave 1.5 times the
        minimum ESS per second, with R-hat 1.007 against 1.033
        (``benchmarks/samplers.py``).
    level : float, default 0.95
        Probability of the reported credible intervals.
    random_seed : int or numpy.random.Generator, optional
        Makes the fit reproducible.
    progressbar : bool, default True
        Show the sampler's progress.
    thresholds : Thresholds, optional
        Convergence limits for the warnings.
    refits : int, default 1
        When an estimand the result reports has an R-hat above
        ``thresholds.r_hat`` or a bulk ESS below ``thresholds.ess``, sample again,
        up to ``refits`` times, each run with twice the warm-up and draws of
        the one before and its own seed derived from the first, and report
        the last run. This is what the convergence warning would ask the user
        to do; a replication study cannot. ``settings["attempts"]`` of the
        result lists every run with its problems. ``0`` reports the first run
        whatever its diagnostics. A hyperparameter that misses a threshold
        while the estimands do not stays a warning
        (:func:`amu_causal.engine.needs_refit`).

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, truth = ac.simulate_register(n=2_000, seed=1, confounding=0.0)
    >>> model = ac.HierarchicalModel(draws=300, tune=300, random_seed=1, progressbar=False)
    >>> result = model.fit(df)  # doctest: +SKIP
    >>> result.effects().set_index("estimand").loc["ATE", "estimate"]  # doctest: +SKIP
    """

    priors: Priors = field(default_factory=Priors)
    mundlak: bool = False
    joint: bool = True
    confounder: LatentConfounder | None = None
    sampler: str = "nutpie"
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    target_accept: float = 0.8
    low_rank_mass_matrix: bool = True
    level: float = 0.95
    random_seed: object = None
    progressbar: bool = True
    thresholds: Thresholds = field(default_factory=Thresholds)
    refits: int = 1

    def __post_init__(self):
        self.sampler_settings()  # validates the sampler settings now, not after a long fit
        if (isinstance(self.refits, bool) or not isinstance(self.refits, numbers.Integral)
                or self.refits < 0):
            raise ValueError(f"refits must be a whole number, 0 or more, got {self.refits!r}")
        check_level(self.level)
        if self.confounder is not None:
            if not isinstance(self.confounder, LatentConfounder):
                raise TypeError("confounder must be a LatentConfounder, "
                                f"got {type(self.confounder).__name__}")
            if not self.joint:
                raise ValueError("a latent confounder needs joint=True: it acts on "
                                 "participation and employment together")

    @property
    def name(self) -> str:
        """Estimator name in result tables."""
        tags = ["mundlak"] if self.mundlak else []
        if self.confounder is not None:
            u = self.confounder
            strengths = ", ".join("prior" if v is None else f"{v:g}"
                                  for v in (u.participation, u.employment))
            tags.append(f"U={strengths}")
        return "HierarchicalModel" + (f"[{'; '.join(tags)}]" if tags else "")

    def sampler_settings(self) -> SamplerSettings:
        """The :class:`SamplerSettings` these settings imply.

        Returns
        -------
        amu_causal.sampling.SamplerSettings
            Sampler, draws, warm-up, chains, target acceptance, mass matrix and
            seed, as passed to the one module that samples.
        """
        return SamplerSettings(
            sampler=self.sampler, draws=self.draws, tune=self.tune, chains=self.chains,
            target_accept=self.target_accept, low_rank_mass_matrix=self.low_rank_mass_matrix,
            progressbar=self.progressbar,
        )

    def build(self, df: pd.DataFrame):
        """The PyMC model for ``df`` and its design, without sampling.

        Parameters
        ----------
        df : pandas.DataFrame
            Register data in the contract.

        Returns
        -------
        model : pymc.Model
        design : Design
        """
        design = build_design(df)
        return self.build_from_design(design), design

    def build_from_design(self, design: Design, *, likelihood: str = "bernoulli"):
        """The PyMC model for an already coded :class:`Design` (no sampling).

        Parameters
        ----------
        design : Design
            The register coded by ``amu_causal.models.design.build_design``.
        likelihood : {"bernoulli", "fused"}, default "bernoulli"
            The reference form or the fast one the fit engine samples (same
            log density; see :func:`amu_causal.models.build_joint_model`).

        Returns
        -------
        pymc.Model
        """
        return build_joint_model(design, priors=self.priors, mundlak=self.mundlak,
                                 joint=self.joint, confounder=self.confounder,
                                 likelihood=likelihood)

    def prior_predictive(self, df: pd.DataFrame, draws: int = 500) -> pd.DataFrame:
        """What the priors imply for participation and employment rates.

        Parameters
        ----------
        df : pandas.DataFrame
            Register data (their covariates are used; outcomes are not).
        draws : int, default 500
            Prior draws.

        Returns
        -------
        pandas.DataFrame
            One row per quantity (overall participation rate, overall
            employment rate, spread of municipal participation rates, AMU
            effect on the probability scale) with prior quantiles 5 %, 50 %,
            95 % and the observed value.

        Examples
        --------
        >>> import amu_causal as ac
        >>> df, _ = ac.simulate_register(n=1_000, seed=1)
        >>> check = ac.HierarchicalModel(random_seed=1).prior_predictive(df, draws=100)
        >>> check["quantity"].tolist()[:2]
        ['participation rate', 'employment rate']
        """
        import pymc as pm

        from .sampling import seed_to_int

        # The prior check uses the model without a latent confounder: its
        # strengths are set by the analyst, not learnt, and U only spreads the
        # person-level probabilities it checks.
        design = build_design(df)
        model = build_joint_model(design, priors=self.priors, mundlak=self.mundlak,
                                  joint=self.joint)
        with model:
            prior = pm.sample_prior_predictive(draws=draws, random_seed=seed_to_int(
                self.random_seed), compile_kwargs={"mode": "NUMBA"})
        rows = []
        y = prior.prior_predictive["employed_observed"].values.reshape(draws, -1)
        if self.joint:
            a = prior.prior_predictive["amu_observed"].values.reshape(draws, -1)
            m = design.municipality_index
            k = len(design.municipalities)
            counts = np.bincount(m, minlength=k)
            big = counts >= 20
            rates = np.stack([np.bincount(m, weights=row, minlength=k)[big] / counts[big]
                              for row in a])
            observed_rates = design.municipality_counts()["participation_raw"].to_numpy()[big]
            rows.append(("participation rate", a.mean(axis=1), design.treatment.mean()))
            rows.append(("employment rate", y.mean(axis=1), design.outcome.mean()))
            rows.append(("SD of municipal participation rates", rates.std(axis=1),
                         observed_rates.std()))
        else:
            rows.append(("employment rate", y.mean(axis=1), design.outcome.mean()))
        posterior_like = {k: v.values.reshape(draws, *v.shape[2:]) for k, v in
                          prior.prior.items()}
        base, shift = linear_predictors(posterior_like, design, "employment", self._parts())
        e = effect_draws(base, shift, design.treatment, design.attachment_index,
                         len(ATTACHMENT_GROUPS), design.municipality_index,
                         len(design.municipalities))
        rows.append(("ATE (probability scale)", e.ate, np.nan))
        return pd.DataFrame(
            [
                {"quantity": q, "prior_5%": np.quantile(v, 0.05),
                 "prior_50%": np.quantile(v, 0.5), "prior_95%": np.quantile(v, 0.95),
                 "observed": obs}
                for q, v, obs in rows
            ]
        )

    def _parts(self) -> tuple[str, ...]:
        return PARTS if self.joint else PARTS[1:]

    def fit(self, df: pd.DataFrame, *, strict: bool = False) -> BayesianResult:
        """Sample the posterior and compute the causal estimands.

        Parameters
        ----------
        df : pandas.DataFrame
            Register data in the contract (validated).
        strict : bool, default False
            Raise :class:`amu_causal.diagnostics.ConvergenceError` instead of
            warning when a convergence check fails.

        Returns
        -------
        BayesianResult
            ``effects()``: ATE, ATT, ATC, risk ratio ``RR``, and ATE and ATT
            by attachment group, on the probability scale, with posterior
            SDs, equal-tailed intervals and P(effect > 0);
            ``municipality_effects()``, ``participation_by_municipality()``,
            ``table("parameters")`` (municipality SDs and their correlation),
            ``table("overlap")`` (participation probabilities by attachment
            group, the positivity check; :func:`overlap_table`),
            ``table("untreated_mean")`` (E[Y(0)] in each estimand's
            population), ``diagnostics()`` and the full ``idata``.

        Warns
        -----
        ConvergenceWarning
            R-hat above 1.01, bulk or tail ESS below 400 (for the
            hyperparameters and the estimands), divergences, or low E-BFMI.
        """
        from .engine import fit_design

        return fit_design(self, build_design(df), strict=strict)

    def result_from_idata(self, idata, design: Design, *, seconds: float = float("nan"),
                          strict: bool = False, warn: bool = True) -> BayesianResult:
        """Estimands, diagnostics and tables from posterior draws of this model.

        :meth:`fit` calls it after sampling; the sensitivity grid calls it
        for each cell after sampling a compiled model it reuses.

        Parameters
        ----------
        idata : arviz.InferenceData
            Posterior of the model :meth:`build` makes for ``design``.
        design : Design
            The design the model was built from.
        seconds : float, optional
            Sampling time, recorded in the settings.
        strict : bool, default False
            Raise instead of warning on failed convergence checks.
        warn : bool, default True
            Warn on failed checks; ``False`` only records them in
            ``problems``.

        Returns
        -------
        BayesianResult
        """
        sampling_seconds = seconds
        draws, propensity = self._estimand_draws(idata, design)
        names = [v for v in (*HYPERPARAMETERS, "confounder_participation",
                             "confounder_employment") if v in idata.posterior]
        table, sampler = mcmc_diagnostics(idata, names)
        estimand_table, _ = mcmc_diagnostics(
            xr_to_idata(draws[["ATE", "ATT", "ATE_by_attachment"]]), None)
        # The estimands' rows carry their names in effects(): ATE[attachment=none]
        estimand_table["parameter"] = estimand_table["parameter"].str.replace(
            r"^ATE_by_attachment\[(.*)\]$", r"ATE[attachment=\1]", regex=True)
        table = pd.concat([table, estimand_table], ignore_index=True)
        problems = check_convergence(table, sampler, self.thresholds, strict=strict, warn=warn)
        idata.add_groups({"estimands": draws})
        result = BayesianResult(
            estimator=self.name,
            effects_table=self._effects_table(draws),
            n=design.n,
            settings={"model": self.name, "priors": self.priors.to_dict(),
                      "sampler": self.sampler_settings().to_dict(), "mundlak": self.mundlak,
                      "joint": self.joint, "level": self.level,
                      "confounder": (None if self.confounder is None
                                     else self.confounder.to_dict()),
                      "seconds": round(sampling_seconds, 1)},
            diagnostics_table=table,
            sampler=sampler,
            problems=problems,
            tables={**self._tables(idata, draws, design),
                    **({"overlap": overlap_table(propensity, design)}
                       if propensity is not None else {})},
            idata=idata,
        )
        return result

    # -- estimands -----------------------------------------------------------------
    def _stacked(self, idata, names) -> dict[str, np.ndarray]:
        post = idata.posterior
        out = {}
        for name in names:
            if name in post:
                values = post[name].values
                out[name] = values.reshape(-1, *values.shape[2:])
        return out

    def _estimand_draws(self, idata, design: Design) -> xr.Dataset:
        post = idata.posterior
        n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
        stacked = self._stacked(idata, list(post.data_vars))
        total = n_chain * n_draw
        chunk_size = _CHUNK if self.confounder is None else max(
            1, _CHUNK * 2 // len(self.confounder.support()[0]))
        k = len(design.municipalities)
        counts = np.bincount(design.municipality_index, minlength=k)
        onehot = np.zeros((design.n, k))
        onehot[np.arange(design.n), design.municipality_index] = 1.0

        def one_chunk(start: int):
            chunk = {name: v[start:start + chunk_size] for name, v in stacked.items()}
            base, shift = linear_predictors(chunk, design, "employment", self._parts())
            eta_d = (linear_predictors(chunk, design, "participation", self._parts())[0]
                     if self.joint else None)
            if self.confounder is None:
                p0, p1 = expit(base), expit(base + shift)
            else:
                p0, p1 = self.confounder.potential_outcomes(
                    base, shift, eta_d, design.treatment, chunk["confounder_strength"])
            effects = effect_draws_from_probabilities(
                p0, p1, design.treatment, design.attachment_index, len(ATTACHMENT_GROUPS),
                design.municipality_index, k)
            # per-cell effect sums for the policy scenarios (amu_causal.policy)
            sums = effect_sums_by_cell(
                p0, p1, design.treatment, design.municipality_index, k,
                design.attachment_index, len(ATTACHMENT_GROUPS))
            propensity = None
            if self.joint:
                # with a latent confounder, the municipal propensity averages over U
                p = (1.0 / (1.0 + np.exp(-eta_d)) if self.confounder is None
                     else self.confounder.participation_probability(
                         eta_d, chunk["confounder_strength"]))
                propensity = (p @ onehot / counts, p.sum(axis=0))
            return effects, sums, propensity

        # The chunks are independent and NumPy releases the GIL in its array loops, so
        # threads share them (order kept, so the result does not depend on the number
        # of threads); BLAS is held to one thread meanwhile so that the threads do not
        # oversubscribe the cores.
        with (threadpool_limits(1, user_api="blas"),
              ThreadPoolExecutor(max(1, min(4, available_cores()))) as pool):
            done = list(pool.map(one_chunk, range(0, total, chunk_size)))
        parts: list[EffectDraws] = [d[0] for d in done]
        cell_sums = [d[1] for d in done]
        propensity = [d[2][0] for d in done if d[2] is not None]
        person_sums = [d[2][1] for d in done if d[2] is not None]
        # posterior mean participation probability of each person, for the overlap check
        # (kept out of the saved draws: it is a per-person quantity)
        mean_propensity = (np.sum(person_sums, axis=0) / total) if person_sums else None
        e = concatenate(parts)

        def shape(x, *dims):
            return (("chain", "draw", *dims), x.reshape(n_chain, n_draw, *x.shape[1:]))

        data = {
            "ATE": shape(e.ate), "ATT": shape(e.att), "ATC": shape(e.atc),
            "RR": shape(e.risk_ratio),
            "ATE_by_attachment": shape(e.ate_by_group, "attachment"),
            "ATT_by_attachment": shape(e.att_by_group, "attachment"),
            "ATE_by_municipality": shape(e.ate_by_municipality, "municipality"),
            "rank_by_municipality": shape(rank_draws(e.ate_by_municipality), "municipality"),
            "employment_untreated": shape(e.mean_untreated),
            "employment_treated": shape(e.mean_treated),
            # E[Y(0)] in each estimand's own population: the baseline risk of its E-value
            "untreated_ATT": shape(e.untreated_att),
            "untreated_ATC": shape(e.untreated_atc),
            "untreated_ATE_by_attachment": shape(e.untreated_by_group, "attachment"),
            "untreated_ATT_by_attachment": shape(e.untreated_att_by_group, "attachment"),
            "effect_sum_untreated": shape(np.concatenate([c[0] for c in cell_sums]),
                                          "municipality", "attachment"),
            "effect_sum_treated": shape(np.concatenate([c[1] for c in cell_sums]),
                                        "municipality", "attachment"),
        }
        if propensity:
            data["participation_by_municipality"] = shape(np.concatenate(propensity),
                                                          "municipality")
        return xr.Dataset(
            data,
            coords={"chain": post["chain"].values, "draw": post["draw"].values,
                    "attachment": list(ATTACHMENT_GROUPS),
                    "municipality": list(design.municipalities)},
        ), mean_propensity

    def _summary(self, values: xr.DataArray, names, null=0.0) -> pd.DataFrame:
        flat = values.values.reshape(-1, *values.shape[2:])
        table = summarize_draws(flat, names, level=self.level, null=null)
        table.insert(0, "estimator", self.name)
        return table

    def _effects_table(self, draws: xr.Dataset) -> pd.DataFrame:
        groups = list(ATTACHMENT_GROUPS)
        frames = [
            self._summary(draws["ATE"], ["ATE"]),
            self._summary(draws["ATT"], ["ATT"]),
            self._summary(draws["ATC"], ["ATC"]),
            self._summary(draws["RR"], ["RR"], null=1.0),
            self._summary(draws["ATE_by_attachment"], [f"ATE[attachment={g}]" for g in groups]),
            self._summary(draws["ATT_by_attachment"], [f"ATT[attachment={g}]" for g in groups]),
        ]
        return pd.concat(frames, ignore_index=True)

    def _untreated_table(self, draws: xr.Dataset) -> pd.DataFrame:
        """Posterior of E[Y(0)], the employment rate without AMU, in each estimand's
        population (everyone, the participants, the non-participants, each group)."""
        groups = list(ATTACHMENT_GROUPS)
        frames = [
            self._summary(draws["employment_untreated"], ["ATE"]),
            self._summary(draws["untreated_ATT"], ["ATT"]),
            self._summary(draws["untreated_ATC"], ["ATC"]),
            self._summary(draws["untreated_ATE_by_attachment"],
                          [f"ATE[attachment={g}]" for g in groups]),
            self._summary(draws["untreated_ATT_by_attachment"],
                          [f"ATT[attachment={g}]" for g in groups]),
        ]
        return pd.concat(frames, ignore_index=True).drop(columns=["p_positive"],
                                                          errors="ignore")

    def _tables(self, idata, draws: xr.Dataset, design: Design) -> dict[str, pd.DataFrame]:
        codes = list(design.municipalities)
        names = municipalities().set_index("code").loc[codes, "name"].to_numpy()
        counts = design.municipality_counts()
        effects = self._summary(draws["ATE_by_municipality"], codes).drop(columns="estimator")
        ranks = draws["rank_by_municipality"].values.reshape(-1, len(codes))
        tail = (1 - self.level) / 2
        municipal = pd.DataFrame(
            {
                "municipality": codes, "name": names, "n": counts["n"].to_numpy(),
                "n_treated": counts["n_treated"].to_numpy(),
                "raw_difference": counts["raw_difference"].to_numpy(),
                "estimate": effects["estimate"].to_numpy(),
                "std_error": effects["std_error"].to_numpy(),
                "ci_lower": effects["ci_lower"].to_numpy(),
                "ci_upper": effects["ci_upper"].to_numpy(),
                "p_positive": effects["p_positive"].to_numpy(),
                "rank_mean": ranks.mean(axis=0),
                "rank_lower": np.quantile(ranks, tail, axis=0),
                "rank_upper": np.quantile(ranks, 1 - tail, axis=0),
            }
        )
        tables = {"municipality_effects": municipal,
                  "untreated_mean": self._untreated_table(draws)}
        if "participation_by_municipality" in draws:
            p = self._summary(draws["participation_by_municipality"], codes)
            tables["participation"] = pd.DataFrame(
                {
                    "municipality": codes, "name": names, "n": counts["n"].to_numpy(),
                    "participation_raw": counts["participation_raw"].to_numpy(),
                    "estimate": p["estimate"].to_numpy(), "ci_lower": p["ci_lower"].to_numpy(),
                    "ci_upper": p["ci_upper"].to_numpy(),
                }
            )
        post = idata.posterior
        params = []
        for name, label in (("municipality_sd", "SD of municipality intercepts"),
                            ("municipality_corr", "correlation of municipality intercepts"),
                            ("amu_effect_sd", "SD of municipality AMU effects (log-odds)"),
                            ("amu_logit_effect", "AMU effect (log-odds)"),
                            ("confounder_strength", "latent confounder strength")):
            if name not in post:
                continue
            values = post[name].values.reshape(post.sizes["chain"] * post.sizes["draw"], -1)
            dims = [d for d in post[name].dims if d not in ("chain", "draw")]
            labels = ([f"{label} [{c}]" for c in post[name][dims[0]].values] if dims
                      else [label])
            params.append(summarize_draws(values, labels, level=self.level))
        tables["parameters"] = pd.concat(params, ignore_index=True)
        return tables


def xr_to_idata(dataset: xr.Dataset):
    """Wrap estimand draws as an InferenceData posterior (for ESS and R-hat)."""
    import arviz as az

    return az.InferenceData(posterior=dataset, sample_stats=xr.Dataset(
        {"diverging": (("chain", "draw"), np.zeros((dataset.sizes["chain"],
                                                    dataset.sizes["draw"]), dtype=bool))},
        coords={"chain": dataset["chain"].values, "draw": dataset["draw"].values}))
