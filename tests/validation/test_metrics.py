"""Performance measures against hand computations (Morris et al. 2019, Table 6)."""

import math

import numpy as np
import pandas as pd
import pytest

from amu_causal.validation import paired_comparison, performance, performance_table


def test_measures_match_hand_computation():
    estimate = [0.10, 0.30, 0.20, 0.60]
    truth = [0.20, 0.20, 0.20, 0.40]
    lower = [0.00, 0.25, 0.10, 0.30]
    upper = [0.30, 0.45, 0.30, 0.50]
    se = [0.1, 0.2, 0.1, 0.2]
    m = performance(estimate, truth, lower, upper, se)
    # errors -0.1, 0.1, 0.0, 0.2: mean 0.05; deviations -0.15, 0.05, -0.05, 0.15
    s_e = math.sqrt((0.0225 + 0.0025 + 0.0025 + 0.0225) / 3)
    assert m["n_reps"] == 4 and m["n_failed"] == 0
    assert m["bias"] == pytest.approx(0.05)
    assert m["bias_mcse"] == pytest.approx(s_e / 2)
    assert m["emp_se"] == pytest.approx(s_e)
    assert m["emp_se_mcse"] == pytest.approx(s_e / math.sqrt(6))
    mse = (0.01 + 0.01 + 0.0 + 0.04) / 4  # 0.015
    assert m["rmse"] == pytest.approx(math.sqrt(mse))
    mse_mcse = math.sqrt(((0.01 - mse) ** 2 * 2 + mse**2 + (0.04 - mse) ** 2) / 12)
    assert m["rmse_mcse"] == pytest.approx(mse_mcse / (2 * math.sqrt(mse)))
    # covered: 0.2 in [0, .3] yes; 0.2 in [.25, .45] no; yes; 0.4 in [.3, .5] yes
    assert m["coverage"] == pytest.approx(0.75)
    # MCSE at the nominal level (0.95), not at the observed coverage
    assert m["coverage_mcse"] == pytest.approx(math.sqrt(0.95 * 0.05 / 4))
    assert m["coverage_mcse_observed"] == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    widths = np.array([0.3, 0.2, 0.2, 0.2])
    assert m["width"] == pytest.approx(0.225)
    assert m["width_mcse"] == pytest.approx(widths.std(ddof=1) / 2)
    variances = np.array([0.01, 0.04, 0.01, 0.04])
    assert m["model_se"] == pytest.approx(math.sqrt(0.025))
    assert m["model_se_mcse"] == pytest.approx(
        math.sqrt(variances.var(ddof=1) / (4 * 4 * 0.025)))
    assert m["mean_truth"] == pytest.approx(0.25)


def test_failed_replications_are_counted_not_used():
    m = performance([0.1, np.nan, 0.3], 0.2, [0.0, np.nan, 0.25], [0.2, np.nan, 0.35])
    # the interval of the third replication, [0.25, 0.35], misses 0.2
    assert m["n_reps"] == 2 and m["n_failed"] == 1
    assert m["bias"] == pytest.approx(0.0)
    assert m["coverage"] == pytest.approx(0.5)


def test_all_failed_gives_nan_not_an_error():
    m = performance([np.nan, np.nan], 0.2, [np.nan] * 2, [np.nan] * 2)
    assert m["n_reps"] == 0 and m["n_failed"] == 2 and np.isnan(m["bias"])


def test_table_groups_by_estimator_and_estimand():
    rows = pd.DataFrame({
        "estimator": ["a", "a", "b", "b"], "estimand": "ATE",
        "estimate": [0.1, 0.3, 0.5, 0.7], "std_error": 0.1,
        "ci_lower": [0.0, 0.25, 0.4, 0.6], "ci_upper": [0.2, 0.4, 0.6, 0.8],
        "truth": 0.2,
    })
    table = performance_table(rows).set_index("estimator")
    assert table.loc["a", "bias"] == pytest.approx(0.0)
    assert table.loc["b", "bias"] == pytest.approx(0.4)
    assert table.loc["a", "coverage"] == pytest.approx(0.5)
    assert table.loc["b", "coverage"] == pytest.approx(0.0)


def test_table_names_missing_columns():
    with pytest.raises(KeyError, match="truth"):
        performance_table(pd.DataFrame({"estimator": ["a"], "estimand": ["ATE"],
                                        "estimate": [0.1], "ci_lower": [0.0],
                                        "ci_upper": [0.2]}))


def test_coverage_mcse_is_at_the_nominal_level_even_when_every_interval_covers():
    # intervals that always cover: the observed-coverage MCSE would be 0
    m = performance([0.1] * 200, 0.1, [0.0] * 200, [0.2] * 200, level=0.95)
    assert m["coverage"] == 1.0
    assert m["coverage_mcse"] == pytest.approx(math.sqrt(0.95 * 0.05 / 200))
    m90 = performance([0.1] * 100, 0.1, [0.0] * 100, [0.2] * 100, level=0.9)
    assert m90["coverage_mcse"] == pytest.approx(0.03)


def test_table_takes_the_level_from_the_rows_and_refuses_mixed_levels():
    rows = pd.DataFrame({"estimator": "a", "estimand": "ATE", "estimate": [0.1] * 4,
                         "ci_lower": 0.0, "ci_upper": 0.2, "truth": 0.1, "level": 0.9})
    table = performance_table(rows)
    assert float(table["coverage_mcse"].iloc[0]) == pytest.approx(math.sqrt(0.09 / 4))
    rows.loc[0, "level"] = 0.95
    with pytest.raises(ValueError, match="more than one level"):
        performance_table(rows)


def test_paired_comparison_uses_the_per_register_differences():
    rng = np.random.default_rng(0)
    common = rng.normal(size=400)  # a register-level error both estimators share
    rows = []
    for r in range(400):
        for name, shift in (("a", 0.05), ("b", 0.0)):
            estimate = common[r] + shift + 0.01 * rng.normal()
            rows.append({"replication": r, "estimator": name, "estimand": "ATE",
                         "estimate": estimate, "ci_lower": estimate - 2,
                         "ci_upper": estimate + 2, "truth": 0.0})
    out = paired_comparison(pd.DataFrame(rows)).iloc[0]
    assert (out["estimator_a"], out["estimator_b"], out["replications"]) == ("a", "b", 400)
    assert out["bias_difference"] == pytest.approx(0.05, abs=0.003)
    # the paired MCSE sees only the 0.01-scale noise, not the common error of SD 1
    assert out["bias_difference_mcse"] < 0.002
    with pytest.raises(KeyError, match="no rows"):
        paired_comparison(pd.DataFrame(rows), "ATT")


def test_paired_comparison_of_one_estimator_is_an_empty_table_with_its_columns():
    rows = pd.DataFrame({"replication": [0, 1], "estimator": "a", "estimand": "ATE",
                         "estimate": [1.0, 2.0], "ci_lower": 0.0, "ci_upper": 3.0,
                         "truth": 1.5})
    out = paired_comparison(rows)
    assert out.empty and "bias_difference_mcse" in out.columns
