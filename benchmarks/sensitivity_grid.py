"""The 5 x 5 latent-confounder grid on the default register, against refitting each cell.

Run: ``python benchmarks/sensitivity_grid.py [--n 23125] [--peer-cells 2]
[--draws 250] [--tune 150] [--target-accept 0.65] [--distribution normal|binary]
[--nodes 9]`` (the defaults are the grid's own).

Ours: :func:`amu_causal.sensitivity.latent_confounder_grid` (one compiled
model, strengths swapped as data). Peer: the
same cells fitted one by one with ``HierarchicalModel(confounder=...).fit``
(through the fit engine, which reuses the compiled model for it as well; the
grid adds its resumable study store, benchmarks and the table), same draws and warm-up; it is run on
``--peer-cells`` cells and its time per cell scaled to the grid. Prints wall
time, time per cell, the ratio, and the cells' convergence summary.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import amu_causal as ac
from amu_causal.models import LatentConfounder
from amu_causal.sensitivity import latent_confounder_grid

STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=23_125)
    parser.add_argument("--peer-cells", type=int, default=2)
    parser.add_argument("--draws", type=int, default=250)
    parser.add_argument("--tune", type=int, default=150)
    parser.add_argument("--target-accept", type=float, default=0.65)
    parser.add_argument("--distribution", choices=("normal", "binary"),
                        default=LatentConfounder.distribution)
    parser.add_argument("--nodes", type=int, default=LatentConfounder.nodes,
                        help="quadrature nodes (normal U)")
    args = parser.parse_args()
    df, truth = ac.simulate_register(n=args.n, seed=1)

    start = time.perf_counter()
    grid = latent_confounder_grid(df, STRENGTHS, STRENGTHS, draws=args.draws, tune=args.tune,
                                  target_accept=args.target_accept,
                                  distribution=args.distribution, nodes=args.nodes, progress=True)
    ours = time.perf_counter() - start
    ate = grid.table("ATE")
    print(f"U {args.distribution}" + (f", {args.nodes} nodes" if args.distribution == "normal"
                                       else ""))
    print(f"ours: 5 x 5 grid in {ours:.0f} s ({ours / 25:.1f} s per cell, compilation "
          "included)")
    print(f"  cells with R-hat > 1.01: {(ate['max_r_hat'] > 1.01).sum()}, max R-hat "
          f"{ate['max_r_hat'].max():.3f}, min bulk ESS {ate['min_ess_bulk'].min():.0f}, "
          f"divergences {ate['divergences'].sum()} (in {(ate['divergences'] > 0).sum()} cells)")
    for name in ("ATE", "ATT"):
        t = grid.table(name)
        print(f"  {name} itself: max R-hat {t['r_hat'].max():.3f}, min bulk ESS "
              f"{t['ess_bulk'].min():.0f}")
    print(grid.surface("estimate").round(4).to_string())
    print(grid.tipping_points().to_string(index=False))
    print(f"truth.ate = {truth.ate:.4f} (simulated at strengths 0.6, 0.6)")

    peer_seconds = []
    for k in range(args.peer_cells):
        lam = STRENGTHS[k + 1]
        confounder = LatentConfounder(lam, lam, distribution=args.distribution,
                                      nodes=args.nodes)
        model = ac.HierarchicalModel(confounder=confounder, target_accept=args.target_accept,
                                     draws=args.draws, tune=args.tune, random_seed=k,
                                     progressbar=False)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(df)
        peer_seconds.append(time.perf_counter() - start)
    if not peer_seconds:
        return
    peer = float(np.mean(peer_seconds)) * 25
    print(f"peer: refit per cell, {np.mean(peer_seconds):.1f} s per cell over "
          f"{args.peer_cells} cells, scaled to 25 cells: {peer:.0f} s")
    print(f"ratio (peer / ours): {peer / ours:.2f}")


if __name__ == "__main__":
    main()
