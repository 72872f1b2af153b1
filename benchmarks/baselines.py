"""Wall time and peak memory of the baselines, each beside its peer, at n = 23,125.

Run: ``python benchmarks/baselines.py``. Each task runs in a fresh process so
peak memory (maximum resident set size) is its own. Peers:

- ``OLSFixedEffects`` (pyfixest, municipality effects absorbed, two
  regressions: pooled and interacted) against the same two regressions as
  statsmodels dummy-variable OLS with HC1 errors;
- ``DML`` (IRM: ATE and ATT fits, GATEs, clustered errors) against one direct
  ``doubleml.DoubleMLIRM`` ATE fit with the same learners and folds.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

TASKS = {
    "OLSFixedEffects (pyfixest)": """
import amu_causal as ac
ac.OLSFixedEffects().fit(df)
""",
    "statsmodels dummy OLS, HC1 (peer)": """
import amu_causal as ac, statsmodels.formula.api as smf
from amu_causal.baselines._formula import control_formula
data = ac.validate_register(df).assign(attachment=lambda d: d["attachment"].astype(str))
c = control_formula()
for f in (f"employed_2y ~ amu + C(attachment) + {c} + C(municipality)",
          f"employed_2y ~ C(attachment) + amu:C(attachment) + {c} + C(municipality)"):
    smf.ols(f, data=data).fit(cov_type="HC1")
""",
    "DML irm (amu_causal)": """
import amu_causal as ac
ac.DML(random_seed=1).fit(df)
""",
    "DoubleMLIRM ATE only (peer)": """
import numpy as np, doubleml as dml, amu_causal as ac
from amu_causal.baselines.dml import _default_learners, _folds, dml_features
frame, features = dml_features(ac.validate_register(df))
rng = np.random.default_rng(1); seed = int(rng.integers(2**31 - 1))
g, _, m = _default_learners(features, seed)
obj = dml.DoubleMLIRM(dml.DoubleMLData(frame.drop(columns="municipality"), "employed_2y", "amu",
                      features), g, m, draw_sample_splitting=False)
obj.set_sample_splitting(_folds(frame["amu"].to_numpy(), 5, 1, rng))
obj.fit()
""",
}

RUNNER = """
import json, resource, time, warnings
warnings.simplefilter("ignore")
import amu_causal as ac
df, _ = ac.simulate_register(seed=1)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
{code}
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "peak_MiB": peak / 1024}}))
"""


def main() -> None:
    rows = []
    for name, code in TASKS.items():
        out = subprocess.run([sys.executable, "-c", RUNNER.format(code=code)],
                             capture_output=True, text=True, check=True)
        rows.append({"task": name, **json.loads(out.stdout.strip().splitlines()[-1])})
    table = pd.DataFrame(rows)
    table["time_ratio_to_peer"] = [
        table.loc[0, "seconds"] / table.loc[1, "seconds"], float("nan"),
        table.loc[2, "seconds"] / table.loc[3, "seconds"], float("nan")]
    print("n = 23,125 (simulate_register(seed=1)); peak = process maximum RSS, which includes "
          "the register and imported libraries")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
