"""The result types the estimators return, and the comparison across estimators.

:class:`CausalResult` is what every estimator's result offers (effects,
diagnostics, tables, saving). Each estimator returns a subclass with what only
it has: :class:`BayesianResult` (posterior and estimand draws, per-cell effect
sums, municipality tables), :class:`OLSResult` and :class:`DMLResult` (the
fitted regressions or DoubleML objects, which the sensitivity analyses reuse
instead of fitting again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EFFECT_COLUMNS", "BayesianResult", "CausalResult", "DMLResult", "OLSResult",
           "ResultUnavailableError", "compare"]

#: Columns of every ``effects()`` table, in order.
EFFECT_COLUMNS = ("estimator", "estimand", "estimate", "std_error", "ci_lower", "ci_upper",
                  "level", "p_positive")


class ResultUnavailableError(LookupError):
    """A table or quantity the estimator behind a result does not provide.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> try:
    ...     ac.OLSFixedEffects().fit(df).table("overlap")
    ... except ac.ResultUnavailableError as err:
    ...     print(type(err).__name__)
    ResultUnavailableError
    """


@dataclass
class CausalResult:
    """Estimates of the effect of AMU on employment, from any estimator.

    Parameters
    ----------
    estimator : str
        Name of the estimator (``HierarchicalModel``, ``OLSFixedEffects``,
        ``DML[irm]``, ...).
    effects_table : pandas.DataFrame
        One row per estimand with :data:`EFFECT_COLUMNS`.
    n : int
        Number of people used.
    settings : dict
        The estimator's settings (for the record).
    diagnostics_table : pandas.DataFrame, optional
        Convergence statistics (Bayesian) or fit statistics.
    sampler : dict
        Sampler-level checks (divergences, E-BFMI), if any.
    problems : list of str
        Plain-words warnings raised during the fit.
    tables : dict of str to pandas.DataFrame
        Further tables (``municipality_effects``, ``participation``,
        ``parameters``).

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.results import CausalResult
    >>> table = pd.DataFrame({"estimator": ["x"], "estimand": ["ATE"], "estimate": [0.05],
    ...                       "std_error": [0.01], "ci_lower": [0.03], "ci_upper": [0.07],
    ...                       "level": [0.95], "p_positive": [float("nan")]})
    >>> CausalResult("x", table, n=100).effects()["estimate"].iloc[0]
    np.float64(0.05)
    """

    estimator: str
    effects_table: pd.DataFrame
    n: int
    settings: dict = field(default_factory=dict)
    diagnostics_table: pd.DataFrame | None = None
    sampler: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self):
        missing = [c for c in EFFECT_COLUMNS if c not in self.effects_table.columns]
        if missing:
            raise ValueError(f"effects_table lacks columns {missing}")
        self.effects_table = self.effects_table[list(EFFECT_COLUMNS)].reset_index(drop=True)

    def effects(self) -> pd.DataFrame:
        """The estimates: one row per estimand, the same columns for every estimator.

        Returns
        -------
        pandas.DataFrame
            :data:`EFFECT_COLUMNS`; effects on the probability scale (0.05 is
            five percentage points), the risk ratio ``RR`` as a ratio.
        """
        return self.effects_table.copy()

    def estimate(self, estimand: str = "ATE") -> float:
        """One estimate by name (``ATE``, ``ATT``, ``ATE[attachment=none]``, ...).

        Parameters
        ----------
        estimand : str, default "ATE"
            A value of the ``estimand`` column of :meth:`effects`.

        Returns
        -------
        float
            The point estimate (posterior mean for the Bayesian model).

        Raises
        ------
        ResultUnavailableError
            If the result has no such estimand; the message lists those it has.
        """
        table = self.effects_table.set_index("estimand")
        if estimand not in table.index:
            raise ResultUnavailableError(
                f"{self.estimator} has no estimand {estimand!r}; it has {list(table.index)}"
            )
        return float(table.loc[estimand, "estimate"])

    def diagnostics(self) -> pd.DataFrame:
        """Convergence or fit diagnostics, one row per checked quantity.

        Returns
        -------
        pandas.DataFrame
            For the Bayesian model ``parameter``, ``r_hat``, ``ess_bulk`` and
            ``ess_tail``; other estimators report their own checks.
        """
        if self.diagnostics_table is None:
            raise ResultUnavailableError(f"{self.estimator} has no diagnostics table")
        return self.diagnostics_table.copy()

    def table(self, name: str) -> pd.DataFrame:
        """A further table by name (see :attr:`tables`).

        Parameters
        ----------
        name : str
            A key of :attr:`tables` (for example ``municipality_effects``,
            ``participation``, ``parameters``, ``overlap``).

        Returns
        -------
        pandas.DataFrame
            A copy of the table.
        """
        if name not in self.tables:
            raise ResultUnavailableError(
                f"{self.estimator} has no {name!r} table; it has {sorted(self.tables)}"
            )
        return self.tables[name].copy()

    def summary(self) -> str:
        """A plain-text summary: estimates, and any warnings.

        Returns
        -------
        str
        """
        table = self.effects_table.copy()
        lines = [f"{self.estimator} (n = {self.n:,})", ""]
        shown = table[~table["estimand"].str.startswith("ATE[municipality=")]
        width = max(len(e) for e in shown["estimand"]) if len(shown) else 8
        level = round(100 * float(shown["level"].iloc[0])) if len(shown) else 95
        lines.append(f"{'estimand':<{width}}  estimate  std.err  {level}% interval")
        for row in shown.itertuples():
            lines.append(
                f"{row.estimand:<{width}}  {row.estimate:8.4f}  {row.std_error:7.4f}  "
                f"[{row.ci_lower:.4f}, {row.ci_upper:.4f}]"
            )
        if self.problems:
            lines += ["", "Warnings:"] + [f"- {p}" for p in self.problems]
        return "\n".join(lines)

    def __repr__(self) -> str:
        try:
            ate = self.estimate("ATE")
            return f"{type(self).__name__}({self.estimator}, ATE={ate:.4f}, n={self.n:,})"
        except ResultUnavailableError:
            return f"{type(self).__name__}({self.estimator}, n={self.n:,})"

    # -- saving -----------------------------------------------------------------
    def save(self, path: str | Path, *, export_safe: bool = True, data=None,
             min_count: int | None = None) -> Path:
        """Save as NetCDF: posterior, estimand draws, tables and settings.

        Parameters
        ----------
        path : str or path-like
            Target ``.nc`` file; written atomically.
        export_safe : bool, default True
            Apply the export rules of the main job, so the file can leave a
            research environment (:func:`amu_causal.privacy.export_result`):
            no observed or constant data, log-likelihoods or other per-person
            quantities, no per-cell effect sums, small cells suppressed in
            every table, and municipalities with fewer than ``min_count``
            people, participants or non-participants dropped from the tables
            and the posterior. ``False`` keeps everything (for work inside
            the research environment).
        data : pandas.DataFrame, optional
            The register the result was fitted on. With it, each
            municipality's raw employment difference is kept where it rests
            on no small cell; without it every raw difference is blanked.
        min_count : int, optional
            Smallest number of people behind an exported cell (default
            :data:`amu_causal.privacy.MIN_COUNT`, 5).

        Returns
        -------
        pathlib.Path

        Notes
        -----
        :func:`amu_causal.privacy.scan_outputs` checks a saved file the same
        way: every group and every table inside it.
        """
        import arviz as az

        from ._atomic import atomic_path
        from .privacy import MIN_COUNT, export_result

        if min_count is not None and not export_safe:
            raise ValueError("min_count applies to export-safe files: drop it, or pass "
                             "export_safe=True")
        result = (export_result(self, data=data,
                                min_count=MIN_COUNT if min_count is None else min_count)
                  if export_safe else self)
        idata = getattr(result, "idata", None)
        idata = az.InferenceData() if idata is None else idata
        groups = {}
        for group in idata.groups():
            if export_safe and group in _PERSON_LEVEL_GROUPS:
                continue
            groups[group] = getattr(idata, group)
        out = az.InferenceData(**groups)
        meta = {
            "result_type": type(result).__name__ if isinstance(result, BayesianResult)
            else "CausalResult",
            "estimator": result.estimator, "n": int(result.n), "settings": result.settings,
            "sampler": result.sampler, "problems": result.problems, "export_safe": export_safe,
        }
        tables = {"effects": result.effects_table, **result.tables}
        if result.diagnostics_table is not None:
            tables["diagnostics"] = result.diagnostics_table
        extra = {f"table_{name}": _frame_to_dataset(frame) for name, frame in tables.items()}
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # arviz warns about custom groups
            out.add_groups(extra)
        out.attrs["amu_causal"] = json.dumps(meta, default=str)
        with atomic_path(path) as tmp:
            out.to_netcdf(str(tmp))
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> CausalResult:
        """Load a result written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            A ``.nc`` file from :meth:`save`.

        Returns
        -------
        CausalResult
            A :class:`BayesianResult` for a saved Bayesian fit; a plain
            :class:`CausalResult` for the baselines (their fitted objects,
            which hold the data, are never saved).
        """
        import arviz as az

        idata = az.from_netcdf(str(path))
        meta = json.loads(idata.attrs["amu_causal"])
        tables = {}
        keep = {}
        for group in idata.groups():
            if group.startswith("table_"):
                tables[group[len("table_"):]] = _dataset_to_frame(getattr(idata, group))
            else:
                keep[group] = getattr(idata, group)
        effects = tables.pop("effects")
        diagnostics = tables.pop("diagnostics", None)
        common = {"estimator": meta["estimator"], "effects_table": effects, "n": meta["n"],
                      "settings": meta["settings"], "diagnostics_table": diagnostics,
                      "sampler": meta["sampler"], "problems": meta["problems"], "tables": tables}
        # files written before result types existed carry no result_type: a posterior
        # means a Bayesian fit
        bayesian = meta.get("result_type", "BayesianResult" if keep else "CausalResult")
        if bayesian == "BayesianResult":
            return BayesianResult(**common, idata=az.InferenceData(**keep) if keep else None)
        return CausalResult(**common)


def fitted_result(source, result_type: type, estimator, default, *, argument: str,
                  needed_by: str):
    """``source`` as a fitted result of ``result_type``: as given, or fitted from a register.

    For the sensitivity analyses that reuse a baseline's fit. ``estimator``
    (what the caller passed as ``argument``, or ``None`` for ``default()``)
    fits a register; it must be ``None`` for a result, which carries its own
    settings.
    """
    if not isinstance(source, CausalResult):
        return (estimator if estimator is not None else default()).fit(source)
    if estimator is not None:
        raise ValueError(f"{argument}= sets the estimator for a register; a fitted result "
                         "carries its own settings")
    if not isinstance(source, result_type) or not source.fits:
        raise ResultUnavailableError(
            f"{source.estimator}: {needed_by} needs a {result_type.__name__} as fitted in "
            "this session (a result read back from a file keeps no fitted objects); pass "
            "the register instead")
    return source


def _estimand_key(estimand: str) -> tuple[str, dict]:
    """``ATE[attachment=none]`` -> (``ATE_by_attachment``, {"attachment": "none"})."""
    import re

    match = re.fullmatch(r"(\w+)\[(\w+)=(.+)\]", estimand)
    if match is None:
        return estimand, {}
    name, dim, value = match.groups()
    return f"{name}_by_{dim}", {dim: int(value) if dim == "municipality" else value}


@dataclass(repr=False)
class BayesianResult(CausalResult):
    """The result of :class:`amu_causal.HierarchicalModel`: estimates and their draws.

    Everything :class:`CausalResult` offers, plus the posterior, each
    estimand's draws, the per-cell effect sums of the policy scenarios, and
    the municipality tables.

    Parameters
    ----------
    estimator, effects_table, n, settings, diagnostics_table, sampler, problems, tables
        As :class:`CausalResult`.
    idata : arviz.InferenceData, optional
        Posterior draws, sampler statistics, and the ``estimands`` group
        (one draw of every estimand per posterior draw). ``None`` only for a
        result whose posterior was not kept.

    Examples
    --------
    >>> import arviz as az, numpy as np, pandas as pd
    >>> from amu_causal.results import BayesianResult
    >>> table = pd.DataFrame({"estimator": ["m"], "estimand": ["ATE"], "estimate": [0.05],
    ...                       "std_error": [0.01], "ci_lower": [0.03], "ci_upper": [0.07],
    ...                       "level": [0.95], "p_positive": [1.0]})
    >>> draws = az.InferenceData(estimands=az.from_dict(
    ...     posterior={"ATE": np.full((2, 5), 0.05)}).posterior)
    >>> BayesianResult("m", table, n=10, idata=draws).estimand_draws("ATE").shape
    (2, 5)
    """

    idata: object | None = None

    def _group(self, name: str):
        if self.idata is None or name not in self.idata.groups():
            raise ResultUnavailableError(f"{self.estimator}: the result keeps no {name!r} "
                                         "draws (a result read back from an export-safe "
                                         "file keeps the estimands but not every group)")
        return self.idata[name]

    @property
    def posterior(self):
        """The posterior draws of the model's parameters (an xarray Dataset)."""
        return self._group("posterior")

    def estimand_draws(self, estimand: str = "ATE"):
        """The posterior draws of one estimand, on the probability scale.

        Parameters
        ----------
        estimand : str, default "ATE"
            A name of the ``estimand`` column of :meth:`effects`: ``ATE``,
            ``ATT``, ``ATC``, ``RR``, ``ATE[attachment=none]``,
            ``ATT[attachment=high]``, ``ATE[municipality=101]``.

        Returns
        -------
        xarray.DataArray
            Dimensions ``chain`` and ``draw``.

        Raises
        ------
        ResultUnavailableError
            If the result has no draws of that estimand.
        """
        return self._draws(estimand, "")

    def untreated_draws(self, estimand: str = "ATE"):
        """Draws of E[Y(0)], employment without AMU, in an estimand's population.

        The baseline risk of the estimand's risk ratio (everyone for ``ATE``,
        the participants for ``ATT``, a group for ``ATE[attachment=g]``).

        Parameters
        ----------
        estimand : str, default "ATE"
            ``ATE``, ``ATT``, ``ATC``, ``ATE[attachment=g]`` or
            ``ATT[attachment=g]``.

        Returns
        -------
        xarray.DataArray
            Dimensions ``chain`` and ``draw``.
        """
        if estimand == "ATE":
            return self._group("estimands")["employment_untreated"]
        return self._draws(estimand, "untreated_")

    def _draws(self, estimand: str, prefix: str):
        group = self._group("estimands")
        name, selection = _estimand_key(estimand)
        if prefix + name not in group or any(
                value not in group[dim].values for dim, value in selection.items()):
            raise ResultUnavailableError(
                f"{self.estimator} has no draws of {prefix}{estimand!r}; it has draws of "
                f"{sorted(v for v in group.data_vars if not v.startswith('effect_sum'))}")
        return group[prefix + name].sel(selection, drop=True)

    def cell_sums(self):
        """Per-draw sums of the individual effects in each municipality x attachment cell.

        What the policy scenarios (:mod:`amu_causal.policy`) add up: for each
        posterior draw, the sum of :math:`p_1 - p_0` over the non-participants
        (``untreated``) and over the participants (``treated``) of each cell.
        Per-cell sums rest on few people, so export-safe files drop them.

        Returns
        -------
        xarray.Dataset
            ``untreated`` and ``treated``, dimensions ``chain``, ``draw``,
            ``municipality``, ``attachment``.
        """
        group = self._group("estimands")
        if "effect_sum_untreated" not in group:
            raise ResultUnavailableError(
                f"{self.estimator}: no per-cell effect sums (an export-safe file drops "
                "them); use the result of HierarchicalModel(...).fit(df)")
        return group[["effect_sum_untreated", "effect_sum_treated"]].rename(
            {"effect_sum_untreated": "untreated", "effect_sum_treated": "treated"})

    def municipality_effects(self) -> pd.DataFrame:
        """Effect of AMU in each municipality, with P(effect > 0) and its rank.

        Returns
        -------
        pandas.DataFrame
            One row per municipality.
        """
        return self.table("municipality_effects")

    def participation_by_municipality(self) -> pd.DataFrame:
        """Observed and modelled AMU participation in each municipality.

        Returns
        -------
        pandas.DataFrame
            One row per municipality (joint model only).
        """
        return self.table("participation")


@dataclass(repr=False)
class OLSResult(CausalResult):
    """The result of :class:`amu_causal.OLSFixedEffects`, with its fitted regressions.

    Parameters
    ----------
    fits : dict, optional
        The fitted pyfixest models, ``pooled`` and ``interacted``, and
        ``data``, the validated register they were fitted on: what
        :func:`amu_causal.sensitivity.ols_sensitivity` reuses. They hold the
        data, so :meth:`save` never writes them and a loaded result has
        none.
    estimator, effects_table, n, settings, diagnostics_table, sampler, problems, tables
        As :class:`CausalResult`.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> fit = ac.OLSFixedEffects().fit(df)
    >>> sorted(fit.fits)
    ['data', 'interacted', 'ols', 'pooled']
    """

    fits: dict | None = field(default=None, compare=False)


@dataclass(repr=False)
class DMLResult(CausalResult):
    """The result of :class:`amu_causal.DML`, with its fitted DoubleML objects.

    Parameters
    ----------
    fits : dict, optional
        ``doubleml`` (the fitted DoubleML objects by score), ``dml`` (the
        estimator's settings) and ``prepared`` (features, folds and learner
        seed, as :meth:`amu_causal.DML.prepare` returns them): what
        :func:`amu_causal.sensitivity.dml_sensitivity` reuses. They hold the
        data, so :meth:`save` never writes them and a loaded result has
        none.
    estimator, effects_table, n, settings, diagnostics_table, sampler, problems, tables
        As :class:`CausalResult`.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> fit = ac.DML(random_seed=1).fit(df)  # doctest: +SKIP
    >>> sorted(fit.fits["doubleml"])  # doctest: +SKIP
    ['ATE', 'ATTE']
    """

    fits: dict | None = field(default=None, compare=False)


_PERSON_LEVEL_GROUPS = {"observed_data", "constant_data", "log_likelihood",
                        "posterior_predictive", "predictions", "predictions_constant_data"}


def _frame_to_dataset(frame: pd.DataFrame):
    import xarray as xr

    data = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and values.notna().any():
            # a numeric column with blanked (suppressed) cells is stored as numbers
            numeric = pd.to_numeric(values, errors="coerce")
            if numeric.notna().sum() == values.notna().sum():
                values = numeric.astype(float)
        if values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype) \
                or pd.api.types.is_string_dtype(values.dtype):
            values = values.astype(str)
        data[str(column)] = ("row", np.asarray(values))
    return xr.Dataset(data, coords={"row": np.arange(len(frame))})


def _dataset_to_frame(dataset) -> pd.DataFrame:
    frame = dataset.to_dataframe().reset_index(drop=True)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype(str)
    return frame


# The comparison across estimators has its own module; it is part of this one's surface.
from .comparison import compare  # noqa: E402
