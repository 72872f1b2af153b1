"""Typed errors and warnings for register data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "Problem",
    "RegisterDataError",
    "RegisterDataWarning",
    "RegisterFileError",
    "UnknownMunicipalityError",
]


@dataclass(frozen=True)
class Problem:
    """One broken rule of the register data contract.

    Parameters
    ----------
    column : str
        The canonical (or, for mapping problems, the researcher's) column name.
    rule : str
        The rule that is broken, in plain words.
    n_rows : int
        How many rows break it (0 for problems that concern the whole frame).
    example_ids : tuple
        The first few ``person_id`` values of the offending rows.
    fix : str
        What to do about it.
    """

    column: str
    rule: str
    n_rows: int = 0
    example_ids: tuple = ()
    fix: str = ""

    def __str__(self) -> str:
        where = f" ({self.n_rows:,} rows" if self.n_rows else ""
        if self.example_ids:
            ids = ", ".join(repr(i) for i in self.example_ids)
            where += f"; first person_id: {ids}"
        if where:
            where += ")"
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.column}: {self.rule}{where}.{fix}"


class RegisterDataError(ValueError):
    """Register data break the data contract.

    Every problem found is listed at once, in :attr:`problems`, so a
    researcher can fix them all before running again.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=500, seed=1)
    >>> try:
    ...     ac.validate_register(df.drop(columns="amu"))
    ... except ac.RegisterDataError as err:
    ...     print(err.problems[0].column, "-", err.problems[0].rule)
    amu - required column is missing
    """

    def __init__(self, problems: list[Problem], context: str = "register data"):
        self.problems = list(problems)
        lines = [f"{context} break the data contract in {len(self.problems)} way(s):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table (column, rule, n_rows, example_ids, fix)."""
        return pd.DataFrame(
            [
                {
                    "column": p.column,
                    "rule": p.rule,
                    "n_rows": p.n_rows,
                    "example_ids": list(p.example_ids),
                    "fix": p.fix,
                }
                for p in self.problems
            ]
        )


class RegisterDataWarning(UserWarning):
    """Something about register data that is allowed but worth knowing (rows dropped on request)."""


class UnknownMunicipalityError(LookupError):
    """A municipality code or name that is not one of Denmark's 98 municipalities."""


class RegisterFileError(OSError):
    """A register file that cannot be read or written (missing, unreadable, unsupported type)."""
