"""Test estimators for the executor and resume machinery (OLS only, fast)."""

from __future__ import annotations

from dataclasses import dataclass

import amu_causal as ac

#: Replication index at which :class:`InterruptingOLS` stops the run (None: never).
INTERRUPT_AT: list = [None]
#: Replication registers fitted by :class:`InterruptingOLS` in this process.
FITTED: list = []


class Interrupted(BaseException):
    """Stands for a kill: not an ``Exception``, so a replication does not record it."""


@dataclass(frozen=True)
class InterruptingOLS:
    """OLS that counts its fits and can stop the run at a chosen register size."""

    name: str = "OLS"

    def fit(self, df):
        FITTED.append(int(df["person_id"].size))
        if INTERRUPT_AT[0] is not None and len(FITTED) > INTERRUPT_AT[0]:
            raise Interrupted("killed")
        return ac.OLSFixedEffects().fit(df)
