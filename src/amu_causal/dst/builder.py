"""Build the analysis register from Statistics Denmark's raw registers.

The builder applies EVA's definitions (docs/data.rst) to the raw registers a
research project receives, through one coding file (``mapping.json``, shipped
with the package; a project's own file overrides it entry by entry):

* **population**: a first residence permit as a refugee (``KATEGORI`` "Asyl
  mv") or as family reunified to a refugee (``KATEGORI``
  "Familiesammenføring" with a ``FORKLAR`` code of reunification to a
  refugee), dated in the study years; aged 18-60 at the permit (full years
  from ``FOED_DAG``); in the population register (BEF) at a reference date
  on or after the permit (the **settlement**: its ``KOM`` is the
  municipality, its ``CIVST``, ``FAMILIE_TYPE`` and ``ANTBOERNF`` the
  controls); and in BEF again at a reference date at least 24 months after
  the permit (still resident);
* **follow-up window**: the 24 months from the permit date;
* **treatment** ``amu``: an AMU course (``OMR_KODE`` 1 from the 2017/18
  school year, the AMU codes of ``ORGTILH`` before) starting in the window;
  ``amu_area`` is the area of the first such course;
* ``started_adult_education``: another adult or continuing education course
  (not AMU, not Danish tuition) starting in the window;
  ``started_education``: ordinary education started in the window (student
  register);
* **attachment** ``months_employed``: months of the window with paid work in
  BFL (full-time equivalents above zero in any job);
* **outcome** ``employed_2y``: employed (RAS status ``SOC_STATUS_KODE``) on
  the last working day of November in the permit year plus two;
* ``education``: the first UDDA record on or after the permit, its ``HFAUDD``
  grouped through DST's classification (audd to main group) into the
  contract's levels; no such record gives ``unknown``.

Codes the mapping does not know are refused with :class:`RawRegisterError`
(register, column, the codes), never guessed; nothing is dropped except by a
rule of the funnel, whose counts :func:`build_register` returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["RawRegisterError", "build_register", "read_mapping"]

#: Readers of raw register files, by suffix.
_SUFFIXES = (".parquet", ".sas7bdat", ".csv")


class RawRegisterError(ValueError):
    """A raw register that the builder cannot use as it is.

    Parameters
    ----------
    register : str
        Register name in the mapping (``population``, ``permits``, ...).
    column : str or None
        The raw column concerned.
    problem : str
        What is wrong.
    values : sequence, optional
        The offending codes or person ids (the first ten are shown).
    fix : str, optional
        What to do about it.

    Examples
    --------
    >>> from amu_causal.dst import RawRegisterError
    >>> str(RawRegisterError("population", "CIVST", "unknown codes", ["X"], "add them"))
    "population register, column CIVST: unknown codes: 'X'. add them"
    """

    def __init__(self, register: str, column: str | None, problem: str, values=(),
                 fix: str = ""):
        self.register, self.column, self.problem = register, column, problem
        self.values = list(values)
        where = f"{register} register" + (f", column {column}" if column else "")
        shown = ", ".join(repr(v) for v in self.values[:10])
        more = f" and {len(self.values) - 10} more" if len(self.values) > 10 else ""
        text = f"{where}: {problem}" + (f": {shown}{more}" if self.values else "")
        super().__init__(text + (f". {fix}" if fix else ""))


def read_mapping(path: str | Path | None = None) -> dict:
    """The coding file: the shipped one, with a project's own file laid over it.

    Parameters
    ----------
    path : str or path-like, optional
        A JSON file with the same structure as the shipped
        ``amu_causal/dst/mapping.json``; each entry it names replaces the
        shipped one (``registers.<name>.columns`` and ``codes.<name>`` key by
        key).

    Returns
    -------
    dict

    Examples
    --------
    >>> from amu_causal.dst import read_mapping
    >>> read_mapping()["codes"]["civil_status"]["codes"]["P"]
    'married'
    """
    shipped = json.loads(resources.files("amu_causal.dst").joinpath("mapping.json")
                         .read_text(encoding="utf-8"))
    if path is None:
        return shipped
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mapping file {path} not found")
    try:
        own = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"mapping file {path} is not valid JSON: {err}") from err
    unknown = set(own) - set(shipped)
    if unknown:
        raise ValueError(f"mapping file {path} has unknown sections {sorted(unknown)}; "
                         f"expected some of {sorted(shipped)}")
    out = json.loads(json.dumps(shipped))
    out["study"].update(own.get("study", {}))
    for name, entry in own.get("registers", {}).items():
        if name not in out["registers"]:
            raise ValueError(f"mapping file {path}: unknown register {name!r}; expected one "
                             f"of {sorted(out['registers'])}")
        target = out["registers"][name]
        target["columns"].update(entry.get("columns", {}))
        target.update({k: v for k, v in entry.items() if k != "columns"})
    for name, entry in own.get("codes", {}).items():
        if name not in out["codes"]:
            raise ValueError(f"mapping file {path}: unknown coding {name!r}; expected one of "
                             f"{sorted(out['codes'])}")
        out["codes"][name].update(entry)
    return out


@dataclass
class _Funnel:
    rows: list = field(default_factory=list)

    def add(self, rule: str, people: int) -> None:
        self.rows.append({"step": len(self.rows) + 1, "rule": rule, "people": int(people)})

    def table(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows)
        frame["dropped"] = -frame["people"].diff().fillna(0).astype("int64")
        return frame


def _find(folder: Path, name: str, stem: str) -> Path:
    hits = [p for p in folder.iterdir()
            if p.is_file() and p.stem.lower() == stem.lower() and p.suffix.lower() in _SUFFIXES]
    if not hits:
        raise RawRegisterError(name, None, f"no file {stem}{{{','.join(_SUFFIXES)}}} in {folder}",
                               fix=f"put the {name} register there, or name its file in the "
                                   f"mapping (registers.{name}.file)")
    if len(hits) > 1:
        raise RawRegisterError(name, None, "more than one file", [p.name for p in hits],
                               fix="keep one")
    return hits[0]


def _read(folder: Path, mapping: dict, name: str) -> pd.DataFrame:
    spec = mapping["registers"][name]
    path = _find(folder, name, spec["file"])
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif suffix == ".sas7bdat":
        frame = pd.read_sas(path, encoding="latin-1")
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame.columns = [str(c).upper() for c in frame.columns]
    wanted = {role: col.upper() for role, col in spec["columns"].items()}
    missing = [col for col in wanted.values() if col not in frame.columns]
    if missing:
        raise RawRegisterError(name, ", ".join(missing), "column(s) not in " + path.name,
                               fix=f"it has {sorted(frame.columns)}; set "
                                   f"registers.{name}.columns in your mapping file")
    if frame.empty:
        raise RawRegisterError(name, None, f"{path.name} has no rows")
    frame = frame[list(wanted.values())].rename(columns={v: k for k, v in wanted.items()})
    frame.attrs["columns"] = wanted
    if "person" in frame and frame["person"].isna().any():
        raise RawRegisterError(name, wanted["person"], f"{int(frame['person'].isna().sum())} "
                               "rows without a person number", fix="remove or complete them")
    return frame


def _raw(frame: pd.DataFrame, role: str) -> str:
    return frame.attrs["columns"][role]


def _dates(frame: pd.DataFrame, name: str, role: str, column: str | None = None
           ) -> pd.Series:
    values = frame[role]
    column = column or _raw(frame, role)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[s]")  # seconds: imputed 1600-01-01 fits
    if values.dtype == object and values.dropna().map(
            lambda v: hasattr(v, "year") and hasattr(v, "month")).all():
        return pd.to_datetime(values).astype("datetime64[s]")
    if pd.api.types.is_string_dtype(values) and values.dropna().astype(str).str.fullmatch(
            r"\d{4}-\d{2}-\d{2}").all():
        # CSV has no date type: only ISO 8601 (YYYY-MM-DD) is read, so that no day and
        # month are swapped; any other text is refused below
        return pd.to_datetime(values, format="%Y-%m-%d").astype("datetime64[s]")
    raise RawRegisterError(name, column, f"holds {values.dtype} values, not dates",
                           values.dropna().astype(str).unique()[:3],
                           fix="convert it to dates first (pandas.to_datetime with the "
                               "register's format), so no date is read in the wrong order")


def _codes(values: pd.Series, coding: dict, name: str, column: str, key: str = "codes"):
    """Map codes through one coding; refuse codes it does not know."""
    table = coding[key]
    text = values.map(_code_text)
    refused = coding.get("refused", {})
    bad_refused = sorted(set(text.dropna()) & set(refused))
    if bad_refused:
        raise RawRegisterError(name, column, "codes that rule a person out of the study "
                               f"({'; '.join(refused[c] for c in bad_refused)})", bad_refused,
                               fix="check the extract: such a person cannot be in it")
    unknown = sorted(set(text.dropna()) - set(table))
    if unknown:
        what = "" if coding.get("documented", True) else (
            " (the mapping's codes here are placeholders: the documentation does not give them)")
        raise RawRegisterError(name, column, "codes the mapping does not know" + what, unknown,
                               fix="add them to your mapping file (codes section) with the "
                                   "documentation they come from")
    if text.isna().any():
        raise RawRegisterError(name, column, f"{int(text.isna().sum())} missing values",
                               fix="complete them, or code them explicitly in the mapping")
    return text.map(table)


def _code_text(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("latin-1").strip()
    return str(value).strip()


def _unique(frame: pd.DataFrame, name: str, keys: list[str]) -> None:
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        raise RawRegisterError(name, ", ".join(_raw(frame, k) for k in keys),
                               f"{int(dup.sum())} rows repeat a person"
                               + (" at one reference date" if len(keys) > 1 else ""),
                               frame.loc[dup, "person"].unique()[:10].tolist(),
                               fix="keep one row per " + " and ".join(keys))


def _window(start: pd.Series, months: int) -> pd.Series:
    return start + pd.DateOffset(months=months)


def build_register(folder: str | Path, *, mapping: dict | str | Path | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the contract's analysis register from raw registers in one folder.

    Parameters
    ----------
    folder : str or path-like
        Holds one file per register (Parquet, SAS ``.sas7bdat`` or CSV),
        named as in the mapping's ``registers.<name>.file`` (``bef``,
        ``opholdsgrundlag``, ``udda``, ``audd``, ``kursist``, ``kotre``,
        ``bfl``, ``ras``). Dates must be dates (Parquet and SAS keep them);
        in CSV files they must be written ``YYYY-MM-DD``. CSV values are
        read as text, so person numbers keep any leading zeros.
    mapping : dict, str or path-like, optional
        A project's coding file laid over the shipped one
        (:func:`read_mapping`), or an already read mapping.

    Returns
    -------
    register : pandas.DataFrame
        One row per person in the contract's columns and dtypes, validated
        (:func:`amu_causal.validate_register`), sorted by ``person_id``
        (without the derived ``attachment``, which loading adds).
    funnel : pandas.DataFrame
        ``step``, ``rule``, ``people`` kept after the rule and ``dropped``:
        how EVA's population is reached. Counts of large groups only, so it
        can be exported (check small counts with
        :func:`amu_causal.privacy.scan_outputs` as for any table).

    Raises
    ------
    RawRegisterError
        A missing register or column, a repeated person, a value of the
        wrong type, a code the mapping does not know, a date outside what
        the registers cover, or an inconsistency between registers; the
        message names the register, the column and the codes.

    Examples
    --------
    >>> import tempfile
    >>> from amu_causal.dst import build_register, write_raw_registers
    >>> folder = write_raw_registers(tempfile.mkdtemp(), n=300, seed=1)
    >>> register, funnel = build_register(folder)
    >>> len(register)
    300
    """
    from ..data.municipalities import municipalities
    from ..data.schema import COLUMNS
    from ..data.validate import validate_register

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of raw registers")
    mapping = mapping if isinstance(mapping, dict) else read_mapping(mapping)
    study, codes = mapping["study"], mapping["codes"]
    follow = int(study["follow_up_months"])
    funnel = _Funnel()

    # -- residence permits: who is in the population ---------------------------------------
    permits = _read(folder, mapping, "permits")
    _unique(permits, "permits", ["person"])
    permits["start"] = _dates(permits, "permits", "start")
    earliest = pd.Timestamp(study["earliest_permit"])
    outside = permits["start"].isna() | (permits["start"] < earliest)
    if outside.any():
        raise RawRegisterError(
            "permits", _raw(permits, "start"),
            f"{int(outside.sum())} first permits missing or dated before {earliest.date()}, "
            "before the three-level permit coding exists (imputed permits carry 1600-01-01)",
            permits.loc[outside, "person"].tolist(),
            fix="leave imputed permits out of the extract, or check the date column")
    funnel.add("first residence permit in the permit register", len(permits))
    basis = codes["residence_basis"]
    category = _codes(permits["category"], basis, "permits", _raw(permits, "category"),
                      key="category")
    explanation = permits["explanation"].map(_code_text)
    to_refugee = set(basis["explanation_family_reunified_to_refugee"])
    other_family = set(basis["explanation_other_family"])
    family = category == "family"
    unknown = sorted(set(explanation[family].dropna()) - to_refugee - other_family)
    if unknown or explanation[family].isna().any():
        raise RawRegisterError(
            "permits", _raw(permits, "explanation"),
            "family-reunification permits whose explanation code the mapping does not place "
            "(reunified to a refugee or not)", unknown or ["<missing>"],
            fix="list the codes under codes.residence_basis in your mapping file")
    permits["residence_basis"] = np.where(category == "refugee", "refugee",
                                          np.where(family & explanation.isin(to_refugee),
                                                   "family_reunified", None))
    permits = permits[permits["residence_basis"].notna()]
    funnel.add("refugees and family reunified to refugees", len(permits))
    years = permits["start"].dt.year
    permits = permits[years.between(int(study["first_year"]), int(study["last_year"]))].copy()
    funnel.add(f"permit in {study['first_year']}-{study['last_year']}", len(permits))
    people = permits.set_index("person")[["start", "residence_basis"]]

    # -- population register: settlement, age, still resident -------------------------------
    bef = _read(folder, mapping, "population")
    bef["date"] = _dates(bef, "population", "date")
    _unique(bef, "population", ["person", "date"])
    last_date = bef["date"].max()
    needed = _window(people["start"], follow)
    late = needed > last_date
    if late.any():
        raise RawRegisterError(
            "population", _raw(bef, "date"),
            f"the register ends at {last_date.date()}, before two years after "
            f"{int(late.sum())} permits in the study years", people.index[late].tolist(),
            fix="extend the extract, or narrow the study years (study.last_year)")
    bef = bef[bef["person"].isin(people.index)].sort_values(["date", "person"])
    start = people["start"].rename("start").reset_index().sort_values("start")
    settled = pd.merge_asof(start, bef, left_on="start", right_on="date", by="person",
                            direction="forward")
    settled = settled[settled["date"].notna()].set_index("person")
    funnel_rule = "in the population register on or after the permit (settled)"
    people = people.loc[people.index.isin(settled.index)]
    funnel.add(funnel_rule, len(people))
    settled = settled.loc[people.index]
    birth = _dates(settled, "population", "birth_date", _raw(bef, "birth_date"))
    age = _full_years(birth, people["start"])
    keep = age.between(int(study["min_age"]), int(study["max_age"]))
    people, settled, age = people[keep], settled[keep], age[keep]
    funnel.add(f"aged {study['min_age']}-{study['max_age']} at the permit", len(people))
    later = bef.merge(_window(people["start"], follow).rename("due"), left_on="person",
                      right_index=True)
    resident = later.loc[later["date"] >= later["due"], "person"].unique()
    keep = people.index.isin(resident)
    people, settled, age = people[keep], settled[keep], age[keep]
    funnel.add(f"still in the population register {follow} months after the permit",
               len(people))
    if people.empty:
        raise RawRegisterError("permits", None, "no one is left in the population after the "
                               "rules of the funnel", fix="check the study years and codes")

    known = set(municipalities()["code"].astype(int))
    kom = pd.to_numeric(settled["municipality"], errors="coerce")
    bad = sorted(set(settled.loc[kom.isna() | ~kom.isin(known), "municipality"].map(str)))
    if bad:
        raise RawRegisterError("population", _raw(bef, "municipality"),
                               "municipality codes that are not among the 98 municipalities "
                               "(2007 classification)", bad,
                               fix="recode the extract to the municipalities since 2007")
    _codes(settled["immigrant_type"], codes["immigrant_type"], "population",
           _raw(bef, "immigrant_type"))
    out = pd.DataFrame(index=people.index)
    out["municipality"] = kom.astype("int64")
    out["permit_year"] = people["start"].dt.year
    out["permit_month"] = people["start"].dt.month
    origin = codes["origin"]
    text = settled["origin"].map(_code_text)
    if text.isna().any():
        raise RawRegisterError("population", _raw(bef, "origin"),
                               f"{int(text.isna().sum())} missing countries of origin",
                               settled.index[text.isna()].tolist())
    out["origin"] = (text.map(lambda c: origin["codes"].get(c, c)) if origin.get("pass_through")
                     else _codes(settled["origin"], origin, "population", _raw(bef, "origin")))
    out["residence_basis"] = people["residence_basis"]
    out["sex"] = _codes(settled["sex"], codes["sex"], "population", _raw(bef, "sex"))
    out["age"] = age
    out["civil_status"] = _codes(settled["civil_status"], codes["civil_status"], "population",
                                 _raw(bef, "civil_status"))
    out["family_type"] = _codes(settled["family_type"], codes["family_type"], "population",
                                _raw(bef, "family_type"))
    children = pd.to_numeric(settled["n_children"], errors="coerce")
    if children.isna().any() or (children < 0).any() or (children % 1 != 0).any():
        raise RawRegisterError("population", _raw(bef, "n_children"),
                               "values that are not whole numbers of at least 0",
                               settled.loc[children.isna() | (children < 0), "n_children"]
                               .astype(str).unique().tolist())
    out["n_children"] = children.astype("int64")

    window_end = _window(people["start"], follow)
    out["education"] = _education(folder, mapping, people)
    courses = _courses(folder, mapping, people, window_end)
    out = out.join(courses)
    out["started_education"] = _students(folder, mapping, people, window_end)
    out["months_employed"] = _months_employed(folder, mapping, people, follow)
    out["employed_2y"] = _outcome(folder, mapping, people)

    out = out.reset_index().rename(columns={"person": "person_id"})
    out = out[[spec.name for spec in COLUMNS]].sort_values("person_id").reset_index(drop=True)
    return validate_register(out)[list(out.columns)], funnel.table()


def _full_years(birth: pd.Series, at: pd.Series) -> pd.Series:
    before = (at.dt.month < birth.dt.month) | ((at.dt.month == birth.dt.month)
                                                & (at.dt.day < birth.dt.day))
    return (at.dt.year - birth.dt.year - before.astype(int)).astype("int64")


def _in_window(events: pd.DataFrame, people: pd.DataFrame, window_end: pd.Series,
               when: str = "start") -> pd.DataFrame:
    frame = events.merge(people[["start"]].rename(columns={"start": "permit"}),
                         left_on="person", right_index=True)
    frame = frame.merge(window_end.rename("window_end"), left_on="person", right_index=True)
    return frame[(frame[when] >= frame["permit"]) & (frame[when] < frame["window_end"])]


def _education(folder: Path, mapping: dict, people: pd.DataFrame) -> pd.Series:
    udda = _read(folder, mapping, "education")
    udda["date"] = _dates(udda, "education", "date")
    _unique(udda, "education", ["person", "date"])
    classes = _read(folder, mapping, "education_classification")
    classes["education"] = classes["education"].map(_code_text)
    dup = classes["education"].duplicated(keep=False)
    if dup.any():
        raise RawRegisterError("education_classification", _raw(classes, "education"),
                               "audd codes listed more than once",
                               sorted(classes.loc[dup, "education"].unique()))
    udda = udda[udda["person"].isin(people.index)].sort_values("date")
    start = people["start"].rename("start").reset_index().sort_values("start")
    first = pd.merge_asof(start, udda, left_on="start", right_on="date", by="person",
                          direction="forward").set_index("person")
    audd = first["education"].map(_code_text)
    has = audd.notna()
    group_of = classes.set_index("education")["main_group"].map(_code_text)
    unknown = sorted(set(audd[has]) - set(group_of.index))
    if unknown:
        raise RawRegisterError("education", _raw(udda, "education"),
                               "audd codes missing from the education classification", unknown,
                               fix="use the classification that goes with the extract's year")
    level = pd.Series("unknown", index=first.index, dtype=object)
    level[has] = _codes(audd[has].map(group_of), mapping["codes"]["education_main_group"],
                        "education_classification", _raw(classes, "main_group")).to_numpy()
    return level.reindex(people.index)


def _courses(folder: Path, mapping: dict, people: pd.DataFrame,
             window_end: pd.Series) -> pd.DataFrame:
    spec = mapping["registers"]["courses"]
    courses = _read(folder, mapping, "courses")
    courses["start"] = _dates(courses, "courses", "start")
    courses["end"] = _dates(courses, "courses", "end")
    backwards = courses["end"] < courses["start"]
    if backwards.any():
        raise RawRegisterError("courses", _raw(courses, "end"),
                               f"{int(backwards.sum())} courses end before they start",
                               courses.loc[backwards, "person"].unique().tolist())
    switch = pd.Timestamp(spec["area_code_from"])
    new = courses["start"] >= switch
    kind = pd.Series(index=courses.index, dtype=object)
    if new.any():
        kind[new] = _codes(courses.loc[new, "area"], mapping["codes"]["course_area"], "courses",
                           _raw(courses, "area"))
    if (~new).any():
        kind[~new] = _codes(courses.loc[~new, "area_before_2017"],
                            mapping["codes"]["course_area_before_2017"], "courses",
                            _raw(courses, "area_before_2017"))
    courses["kind"] = kind
    amu = courses[(courses["kind"] == "amu") & courses["person"].isin(people.index)]
    early = amu.merge(people[["start"]].rename(columns={"start": "permit"}), left_on="person",
                      right_index=True)
    early = early[early["start"] < early["permit"]]
    if not early.empty:
        raise RawRegisterError("courses", _raw(courses, "start"),
                               "AMU courses that start before the person's first residence "
                               "permit", early["person"].unique().tolist(),
                               fix="check the course and permit dates of these people")
    inside = _in_window(courses, people, window_end)
    amu = inside[inside["kind"] == "amu"].sort_values(["person", "start", "course"])
    first = amu.drop_duplicates("person").set_index("person")
    out = pd.DataFrame(index=people.index)
    out["amu"] = out.index.isin(first.index).astype("int64")
    area = _codes(first["amu_area"], mapping["codes"]["amu_area"], "courses",
                  _raw(courses, "amu_area")) if len(first) else pd.Series(dtype=object)
    out["amu_area"] = area.reindex(out.index)
    adult = inside.loc[inside["kind"] == "adult", "person"].unique()
    out["started_adult_education"] = out.index.isin(adult).astype("int64")
    return out


def _students(folder: Path, mapping: dict, people: pd.DataFrame,
              window_end: pd.Series) -> pd.Series:
    students = _read(folder, mapping, "students")
    students["start"] = _dates(students, "students", "start")
    started = _in_window(students, people, window_end)["person"].unique()
    return pd.Series(people.index.isin(started).astype("int64"), index=people.index)


def _months_employed(folder: Path, mapping: dict, people: pd.DataFrame,
                     follow: int) -> pd.Series:
    bfl = _read(folder, mapping, "employment")
    month = pd.to_numeric(bfl["month"], errors="coerce")
    bad = month.isna() | (month % 1 != 0) | ~(month % 100).between(1, 12)
    if bad.any():
        raise RawRegisterError("employment", _raw(bfl, "month"),
                               "months that are not year and month as YYYYMM",
                               bfl.loc[bad, "month"].astype(str).unique().tolist())
    fte = pd.to_numeric(bfl["full_time"], errors="coerce")
    if fte.isna().any() or (fte < 0).any():
        raise RawRegisterError("employment", _raw(bfl, "full_time"),
                               "missing or negative full-time equivalents",
                               bfl.loc[fte.isna() | (fte < 0), "person"].unique().tolist())
    index = (month // 100).astype("int64") * 12 + (month % 100).astype("int64") - 1
    work = pd.DataFrame({"person": bfl["person"], "index": index})[fte > 0]
    first = people["start"].dt.year * 12 + people["start"].dt.month - 1
    work = work.merge(first.rename("first"), left_on="person", right_index=True)
    work = work[(work["index"] >= work["first"]) & (work["index"] < work["first"] + follow)]
    months = work.drop_duplicates(["person", "index"]).groupby("person").size()
    return months.reindex(people.index, fill_value=0).astype("int64")


def _outcome(folder: Path, mapping: dict, people: pd.DataFrame) -> pd.Series:
    ras = _read(folder, mapping, "labour_status")
    year = pd.to_numeric(ras["year"], errors="coerce")
    if year.isna().any():
        raise RawRegisterError("labour_status", _raw(ras, "year"), "years that are not numbers",
                               ras.loc[year.isna(), "year"].astype(str).unique().tolist())
    ras = ras.assign(year=year.astype("int64"))
    _unique(ras, "labour_status", ["person", "year"])
    due = (people["start"].dt.year + 2).rename("due")
    found = ras.merge(due, left_on="person", right_index=True)
    found = found[found["year"] == found["due"]].set_index("person")
    missing = people.index.difference(found.index)
    if len(missing):
        raise RawRegisterError("labour_status", _raw(ras, "year"),
                               f"{len(missing)} people of the population have no status in "
                               "November two years after their permit year",
                               missing.tolist(), fix="extend the extract to those years")
    coding = mapping["codes"]["employed_status"]
    table = {**dict.fromkeys(coding["employed"], 1), **dict.fromkeys(coding["not_employed"], 0)}
    status = _codes(found["status"], {**coding, "codes": table}, "labour_status",
                    _raw(ras, "status"))
    return status.reindex(people.index).astype("int64")
