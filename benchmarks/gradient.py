"""Cost of one log density and gradient: the fused likelihood against PyMC's own.

Run: ``python benchmarks/gradient.py [--n 23125] [--evaluations 2000]``. For each
model form (plain, binary U, normal U with nine nodes) both the reference model
(PyMC's Bernoulli likelihood, or the confounder's PyTensor mixture) and the
fused one the fit engine samples are compiled with PyTensor's numba backend (as
nutpie compiles them); their log density and gradient are evaluated at the same
point, interleaved in rounds so that both see the same machine load, and the
median time per evaluation and the ratio are printed. The two must agree (the
script checks the values before timing).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import amu_causal as ac
from amu_causal.models import LatentConfounder, build_design, build_joint_model

FORMS = {
    "plain": None,
    "binary U": LatentConfounder(0.5, 0.5, distribution="binary"),
    "normal U, 9 nodes": LatentConfounder(0.5, 0.5),
}


def _function(model):
    """A compiled (numba) log density and gradient, and its arguments at a test point."""
    fn = model.logp_dlogp_function(mode="NUMBA")
    fn.set_extra_values({})
    rng = np.random.default_rng(0)
    point = {k: v + 0.3 * rng.standard_normal(np.shape(v))
             for k, v in model.initial_point(0).items()}
    inner = fn._pytensor_function  # the compiled function nutpie's numba backend also builds
    args = [point[v.name] for v in fn._grad_vars]
    return inner, args


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=23_125)
    parser.add_argument("--evaluations", type=int, default=2_000)
    args = parser.parse_args()
    design = build_design(ac.simulate_register(n=args.n, seed=1)[0])
    rows = []
    for form, confounder in FORMS.items():
        reference = _function(build_joint_model(design, confounder=confounder))
        fused = _function(build_joint_model(design, confounder=confounder, likelihood="fused"))
        ref_out, fused_out = reference[0](*reference[1]), fused[0](*fused[1])
        assert np.isclose(float(ref_out[0]), float(fused_out[0]), rtol=1e-10)
        assert np.allclose(ref_out[1], fused_out[1], rtol=1e-8, atol=1e-8)
        times = {"reference": [], "fused": []}
        rounds = 20
        for _ in range(rounds):
            for name, (function, values) in (("reference", reference), ("fused", fused)):
                for _ in range(args.evaluations // rounds):
                    start = time.perf_counter()
                    function(*values)
                    times[name].append(time.perf_counter() - start)
        ref_ms = 1e3 * float(np.median(times["reference"]))
        fused_ms = 1e3 * float(np.median(times["fused"]))
        rows.append({"model": form, "reference_ms": round(ref_ms, 3),
                     "fused_ms": round(fused_ms, 3), "ratio": round(ref_ms / fused_ms, 2)})
        print(f"{form}: reference {ref_ms:.3f} ms, fused {fused_ms:.3f} ms", flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
