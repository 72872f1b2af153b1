"""The synthetic register's people written as raw registers, to test the builder without data.

:func:`write_raw_registers` writes the people of
:func:`amu_causal.simulate_register` (same ``n``, seed and settings) in the
layouts and codes of the shipped mapping, with the details the analysis table
does not hold made up consistently (a permit day, a birth date, quarterly
population records, courses and months of work), plus people whom EVA's
rules leave out (other permits, other years, other ages, people who leave).
:func:`amu_causal.dst.build_register` applied to the folder gives back the
simulator's table, person by person and column by column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .builder import read_mapping

__all__ = ["write_raw_registers"]

#: Synthetic audd codes and their main groups (a project uses DST's classification).
_AUDD = {"primary": ("1005", "1005"), "upper_secondary": ("3510", "35"),
         "short_tertiary": ("4010", "40"), "medium_tertiary": ("5010", "50"),
         "long_tertiary": ("6510", "65"), "unknown": ("1001", "1001")}


def _inverse(coding: dict, label: str) -> str:
    return next(code for code, value in coding.items() if value == label)


def _quarter_on_or_after(dates: pd.Series) -> pd.Series:
    """The first of January, April, July or October on or after each date."""
    month0 = ((dates.dt.month - 1) // 3) * 3 + 1
    start = pd.to_datetime(pd.DataFrame({"year": dates.dt.year, "month": month0, "day": 1}))
    return start.where(start >= dates, start + pd.DateOffset(months=3))


def write_raw_registers(folder, n: int = 23_125, *, seed, **settings) -> Path:
    """Write a synthetic register's people as raw registers (Parquet files).

    Parameters
    ----------
    folder : str or path-like
        Created if missing; the files ``bef``, ``opholdsgrundlag``, ``udda``,
        ``audd``, ``kursist``, ``kotre``, ``bfl`` and ``ras`` (``.parquet``)
        are written into it.
    n : int, default 23,125
        People of the study population (as :func:`amu_causal.simulate_register`).
    seed : int
        The simulator's seed; the raw details draw from a stream of their own.
    **settings
        Passed to :func:`amu_causal.simulate_register`.

    Returns
    -------
    pathlib.Path
        The folder.

    Examples
    --------
    >>> import tempfile
    >>> from amu_causal.dst import write_raw_registers
    >>> sorted(p.stem for p in write_raw_registers(tempfile.mkdtemp(), n=200, seed=1).iterdir())
    ['audd', 'bef', 'bfl', 'kotre', 'kursist', 'opholdsgrundlag', 'ras', 'udda']
    """
    from ..simulate import simulate_register

    df, _ = simulate_register(n=n, seed=seed, **settings)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([int(seed), 20_160])
    mapping = read_mapping()
    codes = mapping["codes"]
    area_switch = pd.Timestamp(mapping["registers"]["courses"]["area_code_from"])

    people = df.assign(
        start=pd.to_datetime(pd.DataFrame({"year": df["permit_year"],
                                           "month": df["permit_month"],
                                           "day": rng.integers(1, 29, len(df))})))
    extras = _extra_people(df, rng, n)
    everyone = pd.concat([people.assign(kind="study"), extras], ignore_index=True)

    # residence permits
    basis = codes["residence_basis"]
    category = np.where(everyone["residence_basis"] == "refugee", "Asyl mv",
                        "Familiesammenføring")
    category = np.where(everyone["kind"] == "work", "Erhverv", category)
    explanation = np.where(category == "Familiesammenføring",
                           basis["explanation_family_reunified_to_refugee"][0], None)
    explanation = np.where(everyone["kind"] == "other_family",
                           basis["explanation_other_family"][0], explanation)
    pd.DataFrame({"PNR": everyone["person_id"], "KATEGORI_FOERSTE": category,
                  "FORKLAR_FOERSTE": explanation,
                  "TILLADELSESDATO": everyone["start"]}).to_parquet(folder /
                                                                    "opholdsgrundlag.parquet")

    # population register: quarterly records from settlement, ten quarters on (four for
    # people who leave), a move for some after settlement
    first = _quarter_on_or_after(everyone["start"])
    quarters = np.where(everyone["kind"] == "leaves", 4, 10)
    rows = np.repeat(np.arange(len(everyone)), quarters)
    step = np.concatenate([np.arange(q) for q in quarters])
    dates = pd.Series(first.to_numpy()[rows]) + pd.to_timedelta(0, "D")
    dates = pd.to_datetime([d + pd.DateOffset(months=3 * int(k)) for d, k in zip(dates, step,
                                                                                     strict=True)])
    moves = rng.random(len(everyone)) < 0.1
    other = rng.choice(np.unique(df["municipality"]), len(everyone))
    kom = np.where(moves[rows] & (step >= 5), other[rows],
                   everyone["municipality"].to_numpy()[rows])
    birth = (everyone["start"] - pd.to_timedelta(rng.integers(0, 365, len(everyone)), "D"))
    birth = pd.to_datetime([b - pd.DateOffset(years=int(a)) for b, a in zip(
        birth, everyone["age"], strict=True)])
    civil = everyone["civil_status"].astype(str).map(
        {"married": "G", "unmarried": "U", "divorced": "F", "widowed": "E"}).to_numpy()
    partner = rng.random(len(everyone)) < 0.05  # registered partnerships and their kin
    civil = np.where(partner & (civil == "G"), "P", civil)
    civil = np.where(partner & (civil == "F"), "O", civil)
    civil = np.where(partner & (civil == "E"), "L", civil)
    family = everyone["family_type"].astype(str).map(
        lambda v: _inverse(codes["family_type"]["codes"], v))
    sex = everyone["sex"].astype(str).map(lambda v: _inverse(codes["sex"]["codes"], v))
    pd.DataFrame({
        "PNR": everyone["person_id"].to_numpy()[rows], "REFERENCETID": dates,
        "KOM": kom.astype("int64"), "KOEN": sex.to_numpy()[rows],
        "FOED_DAG": birth[rows], "CIVST": civil[rows], "IE_TYPE": "2",
        "OPR_LAND": everyone["origin"].astype(str).to_numpy()[rows],
        "FAMILIE_TYPE": family.to_numpy()[rows],
        "ANTBOERNF": everyone["n_children"].to_numpy()[rows].astype("int64"),
    }).to_parquet(folder / "bef.parquet")

    # education: the first 30 September on or after the permit; some get a later record
    # with more education, some no record at all (unknown)
    sep30 = pd.to_datetime(pd.DataFrame({"year": people["start"].dt.year, "month": 9,
                                         "day": 30}))
    sep30 = sep30.where(sep30 >= people["start"], sep30 + pd.DateOffset(years=1))
    level = people["education"].astype(str)
    absent = (level == "unknown") & (rng.random(len(people)) < 0.5)
    udda = pd.DataFrame({"PNR": people["person_id"], "REFERENCETID": sep30,
                         "HFAUDD": level.map(lambda v: _AUDD[v][0])})[~absent.to_numpy()]
    later = udda.sample(frac=0.1, random_state=int(rng.integers(2**31)))
    later = later.assign(REFERENCETID=later["REFERENCETID"] + pd.DateOffset(years=1),
                         HFAUDD=_AUDD["long_tertiary"][0])
    pd.concat([udda, later], ignore_index=True).to_parquet(folder / "udda.parquet")
    pd.DataFrame({"AUDD": [a for a, _ in _AUDD.values()],
                  "H1": [g for _, g in _AUDD.values()]}).to_parquet(folder / "audd.parquet")

    # courses
    def course(person, start, kind, area=None):
        new = start >= area_switch
        omr = {"amu": "1", "danish": "2", "adult": "3"}[kind]
        old = {"amu": "AMU", "danish": "DANSK", "adult": "VUC"}[kind]
        return {"PNR": person, "KURSKOD": f"K{rng.integers(10_000, 99_999)}",
                "STARTTP": start, "SLUTTP": start + pd.Timedelta(days=int(rng.integers(1, 30))),
                "OMR_KODE": omr if new else None, "ORGTILH": None if new else old,
                "UDD": area}
    amu_codes = codes["amu_area"]["codes"]
    records = []
    for row in people.itertuples():
        end = row.start + pd.DateOffset(months=24)
        span = (end - row.start).days

        def inside(start=row.start, span=span):
            return start + pd.Timedelta(days=int(rng.integers(0, span - 1)))
        if row.amu:
            records.append(course(row.person_id, inside(), "amu",
                                  _inverse(amu_codes, row.amu_area)))
            if rng.random() < 0.3:  # a later AMU course in another area does not change it
                records.append(course(row.person_id, end - pd.Timedelta(days=1), "amu",
                                      _inverse(amu_codes, "other")))
        elif rng.random() < 0.05:  # AMU after the window: not treatment
            records.append(course(row.person_id, end + pd.Timedelta(days=int(
                rng.integers(0, 200))), "amu", _inverse(amu_codes, "food")))
        if row.started_adult_education:
            records.append(course(row.person_id, inside(), "adult"))
        if rng.random() < 0.5:  # Danish tuition is not adult education here
            records.append(course(row.person_id, inside(), "danish"))
        if rng.random() < 0.03:  # before the permit (asylum centre), Danish tuition only
            records.append(course(row.person_id, row.start - pd.Timedelta(days=30), "danish"))
    pd.DataFrame(records, columns=["PNR", "KURSKOD", "STARTTP", "SLUTTP", "OMR_KODE",
                                   "ORGTILH", "UDD"]).to_parquet(folder / "kursist.parquet")

    # ordinary education started in Denmark
    started = people[people["started_education"] == 1]
    offsets = rng.integers(0, 700, len(started))
    kotre = pd.DataFrame({"PNR": started["person_id"],
                          "ELEV3_VFRA": started["start"] + pd.to_timedelta(offsets, "D")})
    after = people.sample(frac=0.05, random_state=int(rng.integers(2**31)))
    kotre = pd.concat([kotre, pd.DataFrame({
        "PNR": after["person_id"],
        "ELEV3_VFRA": after["start"] + pd.DateOffset(months=24) + pd.Timedelta(days=40)})])
    kotre.to_parquet(folder / "kotre.parquet")

    # months of paid work (two jobs in some months), and work after the window
    first_month = people["start"].dt.year * 12 + people["start"].dt.month - 1
    pnr, month = [], []
    for person, m0, k in zip(people["person_id"], first_month, people["months_employed"],
                             strict=True):
        chosen = rng.choice(24, size=int(k), replace=False) + m0
        extra = chosen[rng.random(len(chosen)) < 0.1]
        late = np.array([m0 + 24 + int(rng.integers(0, 6))]) if rng.random() < 0.2 else []
        for m in np.concatenate([chosen, extra, late]).astype(int):
            pnr.append(person)
            month.append((m // 12) * 100 + m % 12 + 1)
    pd.DataFrame({"PNR": pnr, "AJO_REFERENCE_MAANED": np.asarray(month, dtype="int64"),
                  "AJO_FULDTID_BESKAEFTIGET": rng.uniform(0.05, 1.0, len(pnr))}).to_parquet(
        folder / "bfl.parquet")

    # labour-market status on the last working day of November
    status = np.where(people["employed_2y"] == 1,
                      rng.choice(codes["employed_status"]["employed"], len(people)),
                      rng.choice(["200", "321"], len(people)))
    ras = pd.DataFrame({"PNR": people["person_id"], "AAR": people["permit_year"] + 2,
                        "SOC_STATUS_KODE": status})
    before = ras.assign(AAR=ras["AAR"] - 1, SOC_STATUS_KODE="321")
    pd.concat([ras, before], ignore_index=True).to_parquet(folder / "ras.parquet")
    return folder


def _extra_people(df: pd.DataFrame, rng: np.random.Generator, n: int) -> pd.DataFrame:
    """People EVA's rules leave out: other permits, years and ages, and people who leave."""
    k = max(5, n // 50)
    kinds = np.repeat(["work", "other_family", "early", "young", "old", "leaves"], k)
    base = df.sample(len(kinds), replace=True, random_state=int(rng.integers(2**31)))
    base = base.reset_index(drop=True)
    base["person_id"] = np.arange(len(base)) + int(df["person_id"].max()) + 1
    base["kind"] = kinds
    base.loc[base["kind"] == "other_family", "residence_basis"] = "family_reunified"
    base.loc[base["kind"] == "early", "permit_year"] = 2009
    base.loc[base["kind"] == "young", "age"] = 17
    base.loc[base["kind"] == "old", "age"] = 61
    base["start"] = pd.to_datetime(pd.DataFrame({"year": base["permit_year"],
                                                 "month": base["permit_month"],
                                                 "day": rng.integers(1, 29, len(base))}))
    return base
