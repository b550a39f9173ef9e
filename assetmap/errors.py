"""Public exceptions and warnings of assetmap.

Catch them from here::

    from assetmap.errors import SchemaError

Every error message says what was expected, what was given, and how to fix it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AssetmapError",
    "AssetmapWarning",
    "CRSError",
    "CRSWarning",
    "ConfigurationError",
    "GeocodingWarning",
    "PrivacyWarning",
    "Problem",
    "SchemaError",
    "SchemaWarning",
]


class AssetmapError(Exception):
    """Base class of every error assetmap raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in one row (or in the whole table, when ``row`` is None).

    Attributes
    ----------
    row
        The row's id (``asset_id`` where there is one), or None for a problem of the table.
    where
        Where the row stands in its source, e.g. ``"line 14"`` or ``"feature 3"``.
    column
        The column concerned, or None.
    message
        What is wrong and, where possible, how to fix it.
    """

    row: str | None
    where: str | None
    column: str | None
    message: str

    @classmethod
    def of_table(cls, message: str) -> Problem:
        """A problem of a whole table or file (no row, no column)."""
        return cls(row=None, where=None, column=None, message=message)

    def __str__(self) -> str:
        parts = [p for p in (self.where, f"id {self.row!r}" if self.row else None) if p]
        head = ", ".join(parts) if parts else "table"
        col = f" [{self.column}]" if self.column else ""
        return f"{head}{col}: {self.message}"


class SchemaError(AssetmapError, ValueError):
    """A register or table does not fit the schema. Lists every problem at once.

    Attributes
    ----------
    problems
        Every problem found, in source order.
    """

    def __init__(self, what: str, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{what}: {n} problem{'s' if n != 1 else ''} found\n{lines}")


class CRSError(AssetmapError, ValueError):
    """A coordinate reference system is missing, unknown or unsuitable."""


class ConfigurationError(AssetmapError, ValueError):
    """A setting or option has a value assetmap cannot use."""


class AssetmapWarning(UserWarning):
    """Base class of assetmap's warnings."""


class SchemaWarning(AssetmapWarning):
    """A soft problem in a register: the data was read, but something needs a look."""


class PrivacyWarning(AssetmapWarning):
    """An output may show more than is safe (a small minimum count, say)."""


class GeocodingWarning(AssetmapWarning):
    """Some rows could not be placed (see their ``geocode_note``)."""


class CRSWarning(AssetmapWarning):
    """A frame came without a CRS; its coordinates could only be degrees, so they were read so."""


def __getattr__(name: str) -> type[AssetmapError]:
    # GeocodingError was never raised (a row that cannot be placed is data, not an error)
    if name == "GeocodingError":
        warnings.warn(
            "assetmap.errors.GeocodingError was never raised and goes in the next release; "
            "catch AssetmapError",
            DeprecationWarning,
            stacklevel=2,
        )
        return AssetmapError
    raise AttributeError(f"module 'assetmap.errors' has no attribute {name!r}")
