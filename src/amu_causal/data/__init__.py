"""Register data: the contract, loading, validation and the municipality table."""

from .errors import (
    Problem,
    RegisterDataError,
    RegisterDataWarning,
    RegisterFileError,
    UnknownMunicipalityError,
)
from .io import load_register, read_column_mapping, write_register
from .municipalities import Municipality, municipalities, municipality
from .schema import (
    ATTACHMENT_GROUPS,
    COLUMNS,
    EVA_CONTROLS,
    ColumnSpec,
    attachment_group,
    column_spec,
    schema_table,
)
from .validate import drop_incomplete_rows, validate_register

__all__ = [
    "ATTACHMENT_GROUPS",
    "COLUMNS",
    "EVA_CONTROLS",
    "ColumnSpec",
    "Municipality",
    "Problem",
    "RegisterDataError",
    "RegisterDataWarning",
    "RegisterFileError",
    "UnknownMunicipalityError",
    "attachment_group",
    "column_spec",
    "drop_incomplete_rows",
    "load_register",
    "municipalities",
    "municipality",
    "read_column_mapping",
    "schema_table",
    "validate_register",
    "write_register",
]
