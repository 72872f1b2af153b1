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
        The first few ``person_id`` values of the offending rows (kept for
        work inside the research environment; not printed).
    fix : str
        What to do about it.
    example_rows : tuple
        The same rows' numbers in the file (1 = the first data row), which
        is what messages show: a message may be copied out of the research
        environment, a person number should not be.
    """

    column: str
    rule: str
    n_rows: int = 0
    example_ids: tuple = ()
    fix: str = ""
    example_rows: tuple = ()

    def __str__(self) -> str:
        where = f" ({self.n_rows:,} rows" if self.n_rows else ""
        if self.example_rows:
            rows = ", ".join(str(i) for i in self.example_rows)
            where += f"; first rows: {rows}"
        if where:
            where += ")"
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.column}: {self.rule}{where}.{fix}"


class RegisterDataError(ValueError):
    """Register data break the data contract.

    Every problem found is listed at once, in :attr:`problems`, so a
    researcher can fix them all before running again.

    Parameters
    ----------
    problems : list of Problem
        Every broken rule found, each with its column, how many rows break
        it, the first few ``person_id`` values and the fix.
    context : str, default "register data"
        What was checked, for the first line of the message (for example a
        file name).

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
        """The problems as a table.

        Returns
        -------
        pandas.DataFrame
            One row per problem: ``column``, ``rule``, ``n_rows``,
            ``example_ids`` and ``fix``.

        Examples
        --------
        >>> from amu_causal import RegisterDataError
        >>> from amu_causal.data.errors import Problem
        >>> err = RegisterDataError([Problem("age", "must be 18-60", 2, (7, 9), "check ALDER")])
        >>> err.to_frame()[["column", "n_rows"]].values.tolist()
        [['age', 2]]
        """
        return pd.DataFrame(
            [
                {
                    "column": p.column,
                    "rule": p.rule,
                    "n_rows": p.n_rows,
                    "example_ids": list(p.example_ids),
                    "example_rows": list(p.example_rows),
                    "fix": p.fix,
                }
                for p in self.problems
            ]
        )


class RegisterDataWarning(UserWarning):
    """Something about register data that is allowed but worth knowing (rows dropped on request).

    Examples
    --------
    >>> import warnings
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=300, seed=1)
    >>> df.loc[df.index[:2], "age"] = None
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     kept, report = ac.drop_incomplete_rows(df)
    >>> len(df) - len(kept), caught[0].category.__name__
    (2, 'RegisterDataWarning')
    """


class UnknownMunicipalityError(LookupError):
    """A municipality code or name that is not one of Denmark's 98 municipalities.

    Examples
    --------
    >>> import amu_causal as ac
    >>> try:
    ...     ac.municipality("Atlantis")
    ... except ac.UnknownMunicipalityError:
    ...     print("not a Danish municipality")
    not a Danish municipality
    """


class RegisterFileError(OSError):
    """A register file that cannot be read or written (missing, unreadable, unsupported type).

    Examples
    --------
    >>> import amu_causal as ac
    >>> try:
    ...     ac.load_register("cohort.xlsx")
    ... except ac.RegisterFileError as err:
    ...     print(str(err).split(":")[0])
    cannot read 'cohort.xlsx'
    """
