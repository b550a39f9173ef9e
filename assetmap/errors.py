"""Public exceptions and warnings of assetmap.

Catch them from here::

    from assetmap.errors import SchemaError

Every error message says what was expected, what was given, and how to fix it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AssetmapError",
    "AssetmapWarning",
    "CRSError",
    "CRSWarning",
    "ConfigurationError",
    "Fix",
    "GeocodingWarning",
    "PrivacyWarning",
    "Problem",
    "SchemaError",
    "SchemaWarning",
]


class AssetmapError(Exception):
    """Base class of every error assetmap raises on purpose."""


#: How a fix is written: Python keywords, command-line options, or a project file's tables.
Style = Literal["python", "cli", "project"]


@dataclass(frozen=True)
class Fix:
    """The option that fixes a problem, as data, so each caller can name it in its own words.

    Attributes
    ----------
    option
        ``"column"`` (map a heading to ``field``), ``"default"`` (give ``field`` a value for
        rows without one), ``"value"`` (map the register's word ``value`` to one of ``field``'s
        vocabulary) or ``"make_ids_unique"``.
    field
        The canonical field concerned (None for ``make_ids_unique``).
    value
        The register's own word (``"value"``) or a suggested value (``"default"``), if any.
    heading
        The register's heading (``"column"``), if known.

    Examples
    --------
    >>> fix = Fix("default", "category", "institution")
    >>> fix.render("python")
    "defaults={'category': 'institution'}"
    >>> fix.render("cli")
    '--default category=institution'
    >>> fix.render("project")
    '[defaults] category = "institution"'
    """

    option: Literal["column", "default", "value", "make_ids_unique"]
    field: str | None = None
    value: str | None = None
    heading: str | None = None

    def render(self, style: Style = "python") -> str:
        """The fix written as ``style`` says: Python keywords, CLI options or a project file."""
        field = self.field or ""
        value = self.value if self.value is not None else "..."
        heading = self.heading if self.heading is not None else "Your heading"
        if self.option == "make_ids_unique":
            return {
                "python": "make_ids_unique=True",
                "cli": "--make-ids-unique",
                "project": "make_ids_unique = true",
            }[style]
        if self.option == "column":
            return {
                "python": f"columns={{{heading!r}: {field!r}}}",
                "cli": f"--column {_shell(f'{heading}={field}')}",
                "project": f"[columns] {_toml(heading)} = {_toml(field)}",
            }[style]
        if self.option == "default":
            return {
                "python": f"defaults={{{field!r}: {value!r}}}",
                "cli": f"--default {_shell(f'{field}={value}')}",
                "project": f"[defaults] {field} = {_toml(value)}",
            }[style]
        return {
            "python": f"values={{{field!r}: {{{value!r}: '...'}}}}",
            "cli": f"--value {_shell(f'{field}:{value}=...')}",
            "project": f'[values.{field}] {_toml(value)} = "..."',
        }[style]


def _shell(text: str) -> str:
    """``text`` as one shell word (double-quoted when it holds anything but plain characters)."""
    if re.fullmatch(r"[A-Za-z0-9_.,:=/+-]+", text):
        return text
    return '"' + re.sub(r'(["\\$`])', r"\\\1", text) + '"'


def _toml(text: str) -> str:
    """``text`` as a TOML key or string (basic string, quotes and backslashes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        What is wrong (the fix, when there is one option for it, is ``fix``).
    fix
        The option that fixes it, as data (see :class:`Fix`), or None.
    """

    row: str | None
    where: str | None
    column: str | None
    message: str
    fix: Fix | None = None

    @classmethod
    def of_table(cls, message: str, fix: Fix | None = None) -> Problem:
        """A problem of a whole table or file (no row, no column)."""
        return cls(row=None, where=None, column=None, message=message, fix=fix)

    def text(self, style: Style = "python") -> str:
        """The problem in one line, its fix written as ``style`` says."""
        parts = [p for p in (self.where, f"id {self.row!r}" if self.row else None) if p]
        head = ", ".join(parts) if parts else "table"
        col = f" [{self.column}]" if self.column else ""
        return f"{head}{col}: {self.message}{_fix_text(self.fix, style)}"

    def __str__(self) -> str:
        return self.text("python")


def _fix_text(fix: Fix | None, style: Style) -> str:
    return f" (fix: {fix.render(style)})" if fix is not None else ""


#: Problems shown one by one in a message; the rest are summed up by column.
_SHOWN_GROUPS = 40
#: Places and ids named for a group of problems.
_EXAMPLES = 3


def _places(wheres: list[str]) -> str:
    """'lines 2–499', 'lines 2–4, 7, 9–12', cut short after a few runs."""
    runs: list[tuple[str, int, int]] = []
    loose: list[str] = []
    for w in wheres:
        m = re.fullmatch(r"(\w+) (\d+)", w)
        if m is None:
            loose.append(w)
            continue
        unit, k = m.group(1), int(m.group(2))
        if runs and runs[-1][0] == unit and runs[-1][2] == k - 1:
            runs[-1] = (unit, runs[-1][1], k)
        else:
            runs.append((unit, k, k))
    units = {u for u, _, _ in runs}
    texts = [f"{a}" if a == b else f"{a}\u2013{b}" for _, a, b in runs]
    more = ""
    if len(texts) > 6:
        more = f", \u2026 ({len(texts) - 6} more runs)"
        texts = texts[:6]
    out = ""
    if runs:
        unit = next(iter(units)) if len(units) == 1 else "row"
        plural = "" if len(wheres) - len(loose) == 1 else "s"
        out = f"{unit}{plural} " + ", ".join(texts) + more
    if loose:
        out = ", ".join([*([out] if out else []), *loose[:_EXAMPLES]])
        if len(loose) > _EXAMPLES:
            out += ", \u2026"
    return out


def _grouped(problems: Sequence[Problem], style: Style) -> list[str]:
    """One line per distinct (column, message, fix); repeats counted with their places."""
    groups: dict[tuple[str | None, str, Fix | None], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.column, p.message, p.fix), []).append(p)
    lines: list[str] = []
    shown = list(groups.items())[:_SHOWN_GROUPS]
    for (column, message, fix), members in shown:
        if len(members) == 1:
            lines.append(f"  - {members[0].text(style)}")
            continue
        col = f"[{column}] " if column else ""
        wheres = [p.where for p in members if p.where]
        ids = [p.row for p in members if p.row]
        said = f"{message} \u2014 on {len(members)} rows"
        if wheres:
            said += f": {_places(wheres)}"
        if ids:
            named = ", ".join(repr(i) for i in ids[:_EXAMPLES])
            said += f" (ids {named}{', …' if len(ids) > _EXAMPLES else ''})"
        lines.append(f"  - {col}{said}{_fix_text(fix, style)}")
    rest = list(groups.values())[_SHOWN_GROUPS:]
    if rest:
        by_column: dict[str, int] = {}
        for members in rest:
            key = members[0].column or "table"
            by_column[key] = by_column.get(key, 0) + len(members)
        counted = ", ".join(f"{c} ({n})" for c, n in sorted(by_column.items()))
        n_rest = sum(by_column.values())
        lines.append(
            f"  - and {n_rest} more problem{'s' if n_rest != 1 else ''} of other kinds, in "
            f"{counted}: see the exception's .problems or .table()"
        )
    return lines


class SchemaError(AssetmapError, ValueError):
    """A register or table does not fit the schema. Lists every problem at once.

    The message groups problems that repeat ("category is missing … on 498 rows: lines
    2–499"), so it stays short whatever the register's size; every problem stays on the
    exception.

    Attributes
    ----------
    what
        What was read (a path, or "asset register").
    problems
        Every problem found, in source order.
    """

    def __init__(self, what: str, problems: Sequence[Problem]) -> None:
        self.what = what
        self.problems = list(problems)
        super().__init__(self.message("python"))

    def message(self, style: Style = "python") -> str:
        """The message, each fix written for Python (``str()``), the CLI or a project file.

        Parameters
        ----------
        style
            ``"python"`` (``columns={...}``), ``"cli"`` (``--column "Heading=field"``) or
            ``"project"`` (a ``[columns]`` table).
        """
        n = len(self.problems)
        head = f"{self.what}: {n} problem{'s' if n != 1 else ''} found"
        return "\n".join([head, *_grouped(self.problems, style)])

    def __str__(self) -> str:
        return self.message("python")

    def __reduce__(self) -> tuple[type[SchemaError], tuple[str, list[Problem]]]:
        return (type(self), (self.what, self.problems))

    def table(self) -> pd.DataFrame:
        """Every problem as a row: ``row``, ``where``, ``column``, ``message``, ``fix``."""
        import pandas as pd  # the errors module stays importable without pandas loaded

        return pd.DataFrame(
            {
                "row": [p.row for p in self.problems],
                "where": [p.where for p in self.problems],
                "column": [p.column for p in self.problems],
                "message": [p.message for p in self.problems],
                "fix": [p.fix.render() if p.fix else None for p in self.problems],
            },
            dtype=object,
        )


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
