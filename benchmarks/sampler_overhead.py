"""Cost of one gradient and of one draw inside nutpie, against the log density alone.

Run: ``python benchmarks/sampler_overhead.py [--n 23125] [--draws 300]`` on an
otherwise idle machine.

1. The compiled log density with its gradient (nutpie's C callback, called
   through ctypes, and the PyTensor function it wraps), and the fused
   likelihood kernel alone, each the best of 5 x 300 calls.
2. One chain sampled on one core with nutpie's maximum tree depth set to 1, 3
   and 10 (diagonal mass matrix, ``--draws`` warm-up iterations and draws):
   a least-squares fit of ``seconds = a * draws + b * gradients`` over the
   three runs separates the sampler's cost per draw (storing it, adapting)
   from its cost per gradient (after one short untimed run: nutpie's first run in a
   process sets itself up).
"""

from __future__ import annotations

import argparse
import ctypes
import time
import warnings

import numpy as np

import amu_causal as ac
from amu_causal.engine import compiled_structure, padded_design
from amu_causal.models import build_design
from amu_causal.models.joint import fused_data
from amu_causal.models.likelihood import fused_loglik
from amu_causal.validation.scenarios import get_scenario


def best_ms(call, repeats: int = 300) -> float:
    call()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        best = min(best, (time.perf_counter() - start) / repeats * 1e3)
    return best


def main() -> None:
    import nutpie

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=23_125, help="register size")
    parser.add_argument("--draws", type=int, default=300,
                        help="warm-up iterations and draws of each timed chain")
    args = parser.parse_args()
    params = get_scenario("no_confounding").parameters()
    design = padded_design(build_design(ac.simulate_register(args.n, seed=1, params=params)[0]))
    model = ac.HierarchicalModel(progressbar=False, refits=0)
    entry, _ = compiled_structure(model, design)
    compiled = entry.with_register(model, design)

    x = np.random.default_rng(0).normal(size=compiled.n_dim) * 0.05
    out, logp = np.zeros(compiled.n_dim), np.zeros(())
    double = ctypes.POINTER(ctypes.c_double)
    callback = compiled.compiled_logp_func.ctypes
    c_args = (ctypes.c_uint64(compiled.n_dim), x.ctypes.data_as(double),
              out.ctypes.data_as(double), logp.ctypes.data_as(double),
              ctypes.c_void_p(compiled.user_data.ctypes.data))
    jit = compiled.logp_func.vm.jit_fn
    shared = [compiled.shared_data[v.name] for v in compiled.logp_func.get_shared()]
    data = fused_data(design)
    index_d, index_y = data["fused_index_participation"], data["fused_index_employment"]
    p = data["fused_numeric"].shape[1]
    rng = np.random.default_rng(1)
    kernel_args = (rng.normal(size=p) * 0.1, rng.normal(size=int(index_d.max()) + 1) * 0.1,
                   rng.normal(size=p) * 0.1, rng.normal(size=int(index_y.max()) + 1) * 0.1,
                   np.zeros(2), data["fused_numeric"], index_d, index_y,
                   data["fused_treatment"], data["fused_outcome"], True, np.zeros(0),
                   np.zeros(0))
    print(f"n = {args.n:,}, {compiled.n_dim} parameters, {compiled.n_expanded} stored values "
          "per draw")
    timings = {"nutpie's C callback (log density + gradient)": lambda: callback(*c_args),
               "the PyTensor function it wraps": lambda: jit(x, *shared),
               "the fused likelihood kernel alone": lambda: fused_loglik(*kernel_args)}
    for label, call in timings.items():
        print(f"{label:46s} {best_ms(call):.3f} ms")

    with warnings.catch_warnings():  # nutpie's first run in a process sets itself up
        warnings.simplefilter("ignore")
        nutpie.sample(compiled, draws=5, tune=5, chains=1, cores=1, seed=5, progress_bar=False)
    runs = []
    for depth in (1, 3, 10):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            idata = nutpie.sample(compiled, draws=args.draws, tune=args.draws, chains=1, cores=1,
                                  seed=5, progress_bar=False, save_warmup=True, maxdepth=depth,
                                  low_rank_modified_mass_matrix=False)
            seconds = time.perf_counter() - start
        gradients = int(idata.warmup_sample_stats["n_steps"].sum()
                        + idata.sample_stats["n_steps"].sum())
        runs.append((2 * args.draws, gradients, seconds))
        print(f"maxdepth {depth:2d}: {2 * args.draws} draws, {gradients:,} gradients, "
              f"{seconds:.2f} s")
    design_matrix = np.array([[d, g] for d, g, _ in runs], dtype=float)
    per_draw, per_gradient = np.linalg.lstsq(design_matrix, np.array([s for *_, s in runs]),
                                             rcond=None)[0]
    print(f"in the sampler: {1e3 * per_gradient:.3f} ms per gradient, "
          f"{1e3 * per_draw:.2f} ms per draw")


if __name__ == "__main__":
    main()
