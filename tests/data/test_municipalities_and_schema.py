import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.data import column_spec


def test_table_has_98_unique_municipalities():
    table = ac.municipalities()
    assert len(table) == 98
    assert table["code"].is_unique and table["name"].is_unique
    assert set(table["region"]) == {"Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland",
                                    "Nordjylland"}


def test_table_is_a_copy():
    table = ac.municipalities()
    table.loc[0, "name"] = "changed"
    assert ac.municipalities().loc[0, "name"] == "København"


@pytest.mark.parametrize("key, code", [
    (400, 400), ("400", 400), ("Bornholm", 400), ("bornholm", 400), ("Tønder", 550),
    ("toender", 550), ("TONDER", 550), ("Aabenraa", 580), ("Åbenrå", 580),
    ("Høje-Taastrup", 169), ("hoje taastrup", 169), ("Ærø", 492), (661.0, 661),
])
def test_lookup(key, code):
    assert ac.municipality(key).code == code


@pytest.mark.parametrize("key", [999, "Gotham", "", 1.5, "0"])
def test_unknown_municipality(key):
    with pytest.raises(ac.UnknownMunicipalityError, match="municipalit"):
        ac.municipality(key)


def test_unknown_name_suggests_close_names():
    with pytest.raises(ac.UnknownMunicipalityError, match=r"Did you mean.*Holstebro"):
        ac.municipality("Holstebr")


def test_attachment_groups_boundaries():
    months = [0, 1, 6, 7, 12, 13, 24, 25, -1, np.nan]
    groups = ac.attachment_group(months)
    assert list(groups.astype(object)[:7]) == ["none", "low", "low", "medium", "medium",
                                                "high", "high"]
    assert pd.isna(groups[7:]).all()
    assert groups.ordered


def test_schema_table_and_specs():
    table = ac.schema_table()
    assert len(table) == 18
    assert table.set_index("column").loc["employed_2y", "role"] == "outcome"
    assert column_spec("permit_month").lower == 1
    with pytest.raises(KeyError, match="not a canonical register column"):
        column_spec("gender")


def test_eva_controls_are_canonical_columns():
    names = set(ac.schema_table()["column"])
    assert set(ac.EVA_CONTROLS) <= names
