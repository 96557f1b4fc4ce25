"""Census uploads: CSV, XLSX and JSON files read into a validated census."""

from quoting.census._files import (
    MAX_CENSUS_BYTES,
    MAX_CENSUS_PROBLEMS,
    MAX_CENSUS_ROWS,
    census_from_rows,
    read_census,
    read_census_numbered,
    read_table,
)
from quoting.census._template import TEMPLATE_FIELDS, census_template

__all__ = [
    "MAX_CENSUS_BYTES",
    "MAX_CENSUS_PROBLEMS",
    "MAX_CENSUS_ROWS",
    "TEMPLATE_FIELDS",
    "census_from_rows",
    "census_template",
    "read_census",
    "read_census_numbered",
    "read_table",
]
