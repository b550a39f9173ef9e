"""The policy of an output (who reads it, what may leave) and what publishing gives back."""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import ConfigurationError, PrivacyWarning
from ..geocoding.gazetteer import Gazetteer
from ..schema import PRIVACY_LEVELS

Audience = Literal["public", "partners"]

#: Which privacy levels each audience sees named and exact; ``private`` never is.
SHOWN_EXACTLY: dict[str, frozenset[str]] = {
    "public": frozenset({"public"}),
    "partners": frozenset({"public", "partners"}),
}

#: Fields that may leave for a record shown exactly (``fields=`` adds more). Contact details,
#: notes and any other column of the register never leave unless named.
EXACT_FIELDS = (
    "name", "kind", "category", "subcategory", "description", "offers", "needs", "capacity",
    "postcode", "address", "footprint", "privacy", "geocode_method", "geocode_precision_m",
    "in_study_area",
)  # fmt: skip

#: Fields that may leave for a record shown coarsely: what it is, not who.
COARSE_FIELDS = ("kind", "category", "privacy")

#: Fields of a declared relationship that may leave (its ``note`` and any other column never
#: do: they are written by people about people).
RELATIONSHIP_FIELDS = ("source", "target", "type", "weight")

#: Below this, a minimum count is refused unless insisted on; below SAFE_COUNT it warns.
SMALLEST_COUNT = 3
SAFE_COUNT = 5

#: The grid used when a coarse record has neither an area nor a gazetteer level wide enough.
COARSE_CELL_M = 500.0

#: A coarse point must stand for at least this much ground (its precision, metres): a postcode
#: sector smaller than this gives way to its district.
MIN_COARSE_M = 250.0


@dataclass(frozen=True)
class Policy:
    """Who will read an output, and what may leave for them.

    Parameters
    ----------
    audience
        ``"public"`` or ``"partners"`` (see the module's text).
    min_count
        Counts from 1 to ``min_count - 1`` are suppressed (with enough others that none can be
        worked out from totals).
    fields
        More fields that may leave for records shown exactly (beyond :data:`EXACT_FIELDS`);
        records shown coarsely only ever show their kind and category.
    gazetteer
        The gazetteer the register was geocoded with: records shown coarsely go to the centre
        of its coarser levels (postcode sector, then district, with the ONS directory) where
        no area holds them, and counts are per its finest coarse level. None: areas, else a
        500 m grid.
    allow_small_counts
        ``min_count`` below 3 is refused (a count of 1 or 2 points at a person) unless this is
        True; below 5 it warns.

    Examples
    --------
    >>> Policy("partners", min_count=10)
    Policy('partners', min_count=10)
    >>> Policy("everyone")
    Traceback (most recent call last):
    ...
    assetmap.errors.ConfigurationError: audience must be 'public' or 'partners', 'everyone' given
    """

    audience: Audience = "public"
    min_count: int = 5
    fields: tuple[str, ...] = ()
    gazetteer: Gazetteer | None = field(default=None, compare=False)
    allow_small_counts: bool = False

    def __post_init__(self) -> None:
        if self.audience not in SHOWN_EXACTLY:
            raise ConfigurationError(
                f"audience must be 'public' or 'partners', {self.audience!r} given"
            )
        if (
            isinstance(self.min_count, bool)
            or not isinstance(self.min_count, int | np.integer)
            or self.min_count < 1
        ):
            raise ConfigurationError(
                f"min_count must be a whole number, 1 or more; {self.min_count!r} was given"
            )
        if self.min_count < SMALLEST_COUNT and not self.allow_small_counts:
            raise ConfigurationError(
                f"min_count={self.min_count} would publish counts of {self.min_count} and more: "
                f"a count below {SMALLEST_COUNT} points at a person; use {SAFE_COUNT} (or give "
                "allow_small_counts=True to insist)"
            )
        if self.min_count < SAFE_COUNT:
            warnings.warn(
                f"min_count={self.min_count} publishes counts below {SAFE_COUNT}: check that "
                "this audience may see them",
                PrivacyWarning,
                stacklevel=3,
            )
        fields = (self.fields,) if isinstance(self.fields, str) else tuple(self.fields or ())
        if not all(isinstance(f, str) for f in fields):
            raise ConfigurationError(f"fields must be column names, {self.fields!r} was given")
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "min_count", int(self.min_count))

    def __repr__(self) -> str:
        extra = [f"min_count={self.min_count}"] if self.min_count != 5 else []
        extra += [f"fields={list(self.fields)}"] if self.fields else []
        extra += [f"gazetteer={self.gazetteer.name!r}"] if self.gazetteer is not None else []
        return f"Policy({', '.join([repr(self.audience), *extra])})"

    def _repr_html_(self) -> str:
        """The policy as a small table (Jupyter)."""
        rows = {
            "audience": self.audience,
            "named and exact": ", ".join(sorted(self.exact_levels)),
            "shown coarsely": ", ".join(
                sorted(set(PRIVACY_LEVELS) - self.exact_levels - {"private"})
            ),
            "only counted": "private",
            "smallest count shown": str(self.min_count),
            "more fields": ", ".join(self.fields) or "none",
            "coarse points at": "areas, else "
            + (f"{self.gazetteer.name} levels" if self.gazetteer is not None else "a grid"),
        }
        return _html_table(f"Policy for {self.audience}", rows)

    @property
    def exact_levels(self) -> frozenset[str]:
        """The privacy levels this audience sees named and at their place."""
        return SHOWN_EXACTLY[self.audience]

    def describe(self, assets: pd.DataFrame, areas: gpd.GeoDataFrame | None) -> dict[str, Any]:
        """The policy as an audit records it."""
        allowed = [f for f in dict.fromkeys((*EXACT_FIELDS, *self.fields)) if f in assets.columns]
        where = ["area centre"] if areas is not None else []
        if self.gazetteer is not None:
            where.append(f"{self.gazetteer.name} level centre")
        return {
            "audience": self.audience,
            "min_count": self.min_count,
            "exact_levels": sorted(self.exact_levels),
            "fields_exact": allowed,
            "fields_coarse": list(COARSE_FIELDS),
            "fields_relationships": list(RELATIONSHIP_FIELDS),
            "coarse_to": ", else ".join([*where, f"{COARSE_CELL_M:.0f} m grid"]),
        }


def as_policy(
    policy: Policy | None = None,
    *,
    audience: Audience | None = None,
    min_count: int | None = None,
    k: int | None = None,
    fields: Sequence[str] | None = None,
    gazetteer: Gazetteer | None = None,
) -> Policy:
    """The one :class:`Policy` of a call that takes ``policy=`` or its shortcuts.

    ``audience=``, ``min_count=``, ``fields=`` and ``gazetteer=`` build a policy (public, 5,
    none, none by default); given beside a ``policy`` they must agree with it. ``k=`` is the
    old name of ``min_count`` (deprecated).
    """
    if k is not None:
        warnings.warn(
            "k= (the smallest count shown) is now min_count=; k= goes in the next release",
            DeprecationWarning,
            stacklevel=3,
        )
        if min_count is not None and min_count != k:
            raise ConfigurationError(f"k={k} and min_count={min_count} disagree: give min_count")
        min_count = k
    if policy is None:
        return Policy(
            audience=audience or "public",
            min_count=5 if min_count is None else min_count,
            fields=tuple(fields or ()),
            gazetteer=gazetteer,
        )
    given = {
        "audience": audience,
        "min_count": min_count,
        "fields": None if fields is None else tuple(fields),
        "gazetteer": gazetteer,
    }
    if not isinstance(policy, Policy):
        raise ConfigurationError(
            f"policy must be an assetmap.privacy.Policy, {type(policy).__name__} was given "
            "(for an audience alone, pass audience=...)"
        )
    clash = [
        name
        for name, value in given.items()
        if value is not None
        and value is not getattr(policy, name)
        and value != getattr(policy, name)
    ]
    if clash:
        raise ConfigurationError(
            f"{', '.join(clash)} given beside a policy that says otherwise: give one of them"
        )
    return policy


@dataclass(frozen=True, repr=False)
class Published:
    """What may be shown to an audience: the only thing writers write.

    Attributes
    ----------
    assets
        The records that may be drawn, index ``published_id`` (the asset id for exact records; an
        opaque ``<category>-<n>`` for coarse ones): ``shown`` (``exact``/``coarse``),
        ``precision_m`` and the allowed fields; geometry in EPSG:4326.
    counts
        Records not shown on their own, per area and category, small numbers suppressed (missing).
    links
        The links whose ends may be shown, ends renamed to published ids, in the order given
        (None without links).
    relationships
        The declared relationships whose ends may be shown, with only
        :data:`RELATIONSHIP_FIELDS` (None without relationships).
    audit
        One row per record published (id, how shown, precision, fields) and one for those kept
        back; ``attrs["policy"]`` holds the policy as recorded.
    policy
        The policy applied.
    kept_back
        How many records are not shown on their own (only counted).
    ids
        Asset id → published id, for every record shown (exact or coarse); never written out.
    """

    assets: gpd.GeoDataFrame
    counts: pd.DataFrame
    links: pd.DataFrame | None
    audit: pd.DataFrame
    policy: Policy
    kept_back: int = 0
    relationships: pd.DataFrame | None = None
    ids: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = self.assets["shown"].value_counts()
        parts = [
            f"{int(shown.get('exact', 0))} exact",
            f"{int(shown.get('coarse', 0))} coarse",
            f"{self.kept_back} kept back",
        ]
        if self.links is not None:
            parts.append(f"{len(self.links)} links")
        if self.relationships is not None:
            parts.append(f"{len(self.relationships)} relationships")
        return f"<Published for {self.policy.audience}: {', '.join(parts)}>"

    def _repr_html_(self) -> str:
        """What was shown exactly, coarsely and kept back, by privacy level (Jupyter)."""
        shown = self.assets["shown"].astype("str")
        level = (
            self.assets["privacy"].astype("str")
            if "privacy" in self.assets.columns
            else pd.Series("?", index=self.assets.index)
        )
        table = pd.crosstab(level, shown).reindex(columns=["exact", "coarse"], fill_value=0)
        order = [lv for lv in PRIVACY_LEVELS if lv in table.index]
        table = table.reindex([*order, *sorted(set(table.index) - set(order))])
        head = "".join(f"<th>{h}</th>" for h in ("privacy", "exact", "coarse", "kept back"))
        body = [
            f"<tr><th>{html.escape(str(lv))}</th><td>{int(row['exact'])}</td>"
            f"<td>{int(row['coarse'])}</td><td></td></tr>"
            for lv, row in table.iterrows()
        ]
        body.append(
            f"<tr><th>private, or not placed</th><td></td><td></td><td>{self.kept_back}</td></tr>"
        )
        parts = []
        if self.links is not None:
            parts.append(f"{len(self.links)} links")
        if self.relationships is not None:
            parts.append(f"{len(self.relationships)} relationships")
        parts.append(
            f"the records kept back counted in {len(self.counts)} area(s) by category "
            f"(counts below {self.policy.min_count} left empty)"
        )
        return (
            f'<div class="assetmap-published"><strong>Published for '
            f"{html.escape(self.policy.audience)}</strong><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table><p>{html.escape('; '.join(parts))}</p></div>"
        )


def _html_table(title: str, rows: Mapping[str, str]) -> str:
    """A titled two-column table of escaped text."""
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows.items()
    )
    return f"<div><strong>{html.escape(title)}</strong><table>{body}</table></div>"
