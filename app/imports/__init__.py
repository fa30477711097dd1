"""Importing a plan's actions from an uploaded .xlsx or .csv file.

read_table (the file, safely) -> propose_mapping (columns, for the office to confirm) ->
plan_import (validate every row and preview; writes nothing) -> apply_import (all or nothing).
"""

from app.imports.actions import (
    ActionChange,
    ImportChoices,
    ImportPreview,
    ImportRefused,
    ImportResult,
    RowError,
    apply_import,
    plan_import,
    validate_rows,
)
from app.imports.columns import FIELDS, field_named, propose_mapping
from app.imports.reading import MAX_BYTES, MAX_ROWS, ImportFileError, Row, Table, read_table
from app.imports.template import import_template_xlsx

__all__ = [
    "FIELDS",
    "MAX_BYTES",
    "MAX_ROWS",
    "ActionChange",
    "ImportChoices",
    "ImportFileError",
    "ImportPreview",
    "ImportRefused",
    "ImportResult",
    "Row",
    "RowError",
    "Table",
    "apply_import",
    "field_named",
    "import_template_xlsx",
    "plan_import",
    "propose_mapping",
    "read_table",
    "validate_rows",
]
