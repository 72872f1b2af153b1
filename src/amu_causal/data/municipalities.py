"""Denmark's 98 municipalities, shipped with the package."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from .errors import UnknownMunicipalityError

__all__ = ["Municipality", "municipalities", "municipality"]


@dataclass(frozen=True)
class Municipality:
    """One Danish municipality.

    Parameters
    ----------
    code : int
        The three-digit municipality code used by Statistics Denmark.
    name : str
        Danish name.
    region : str
        Region.
    population_thousands : int
        Approximate population around 2015, in thousands (rounded). Used only
        as allocation weights by the simulator; not an official figure.
    """

    code: int
    name: str
    region: str
    population_thousands: int


@cache
def _table() -> pd.DataFrame:
    with resources.files("amu_causal.data").joinpath("municipalities.csv").open(
        encoding="utf-8"
    ) as f:
        table = pd.read_csv(f, dtype={"code": "int64", "population_thousands": "int64"})
    return table


def municipalities() -> pd.DataFrame:
    """The 98 municipalities as a table.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``name``, ``region``, ``population_thousands``
        (approximate, rounded; used as the simulator's allocation weights).
        A copy: changing it does not change the package's table.

    Examples
    --------
    >>> import amu_causal as ac
    >>> len(ac.municipalities())
    98
    """
    return _table().copy()


def _fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Tønder', 'toender' and 'TONDER' match."""
    text = text.strip().casefold()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("oe", "o").replace("aa", "a").replace("ae", "a")
    return "".join(ch for ch in text if ch.isalnum())


@cache
def _name_index() -> dict[str, int]:
    table = _table()
    return {_fold(n): int(c) for n, c in zip(table["name"], table["code"], strict=True)}


def municipality(key: int | str) -> Municipality:
    """Look up a municipality by code or by name.

    Parameters
    ----------
    key : int or str
        A municipality code (``400`` or ``"400"``) or a name. Names are matched
        without regard to case or Danish letters (``"Tønder"``, ``"toender"``
        and ``"TONDER"`` all find code 550).

    Returns
    -------
    Municipality

    Raises
    ------
    UnknownMunicipalityError
        If no municipality has that code or name; the message suggests close
        names.

    Examples
    --------
    >>> import amu_causal as ac
    >>> ac.municipality("bornholm").code
    400
    >>> ac.municipality(661).name
    'Holstebro'
    """
    table = _table().set_index("code")
    code: int | None = None
    if isinstance(key, int | float) and not isinstance(key, bool) and float(key).is_integer():
        code = int(key)
    elif isinstance(key, str) and key.strip().isdigit():
        code = int(key.strip())
    elif isinstance(key, str):
        code = _name_index().get(_fold(key))
        if code is None:
            close = difflib.get_close_matches(_fold(key), list(_name_index()), n=3, cutoff=0.6)
            names = [table.loc[_name_index()[c], "name"] for c in close]
            hint = f" Did you mean {', '.join(names)}?" if names else ""
            raise UnknownMunicipalityError(
                f"{key!r} is not the name of a Danish municipality.{hint} "
                "See amu_causal.municipalities() for the 98 names and codes."
            )
    if code is None or code not in table.index:
        raise UnknownMunicipalityError(
            f"{key!r} is not one of the 98 municipality codes. "
            "See amu_causal.municipalities() for the codes."
        )
    row = table.loc[code]
    return Municipality(
        code=code,
        name=str(row["name"]),
        region=str(row["region"]),
        population_thousands=int(row["population_thousands"]),
    )
