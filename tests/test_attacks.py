"""Attacks on the privacy gate: what can someone holding every file of a run learn?

1. A property-based scan: invented registers with every privacy level, run through every
   writer and :func:`assetmap.run_project` for both audiences; no file says (read as text,
   decoded) a name, contact, note, description or exact place it may not.
2. A linear-programming attacker: every count one audience receives from one build; no count
   of records kept back can be narrowed below the minimum count.
3. Trilateration: from the public links and map, place each resident shown coarsely; no
   estimate may beat the coarse point's stated precision.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
import shapely.geometry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, least_squares, milp

import assetmap.privacy._publish as privacy_publish
from assetmap import (
    build_map,
    build_report,
    datasets,
    find_links,
    geocode,
    graph_from_assets,
    publish,
    read_relationships,
    run_project,
    save_assets,
    save_graph,
    save_links,
    save_map,
    save_report,
)
from assetmap.crs import from_lonlat
from assetmap.geocoding.gazetteer import ons_postcode_directory
from assetmap.maps import links_summary
from assetmap.maps._links import FACTOR_WORDS
from assetmap.privacy import COARSE_CELL_M, Audience, Policy, protect, suppress
from assetmap.privacy._coarse import count_areas
from assetmap.project import project_from_settings
from assetmap.schema import validate_assets
from tests.contracts import near, packed_columns, scan_for, separable_points

AUDIENCES: tuple[Audience, ...] = ("public", "partners")
#: The privacy levels each audience may see by name and at their place (the design's, written
#: here so that a gate that widened its own table would not widen the test's).
SEEN_BY_NAME = {"public": {"public"}, "partners": {"public", "partners"}}
GAZETTEER = ons_postcode_directory()

# --- 1. every writer, every audience, invented registers ------------------------------------

#: Three letters each, so that no invented word is part of another or of any ordinary text.
SYLLABLES = [a + v + b for a in "zqxjkvw" for v in "aeiouy" for b in "zxqjkv"]
#: Full postcodes the bundled directory knows, for records placed by postcode only.
POSTCODES = ("B18 7QH", "B16 0AA", "B66 2QT", "B1 2RE", "B67 6DR", "B18 4JD", "B16 8FN")
TAGS = ("catering", "nursing", "cleaning", "childcare", "interpreting", "meeting space", "jobs")
LEVELS = ("public", "partners", "area", "private")
#: A coordinate written to 4 decimals of a degree stands within 6.5 m of the point.
RADIUS_M = 8.0
_TO_BNG = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)


@functools.cache
def _centres() -> np.ndarray:
    """British National Grid x, y of every place a record may be shown at coarsely without a
    grid: the centres of the postcode sectors and districts of :data:`POSTCODES`."""
    levels = GAZETTEER.parse(pd.Series(POSTCODES)).levels
    lon, lat = [], []
    for level, keys in levels.items():
        hit = GAZETTEER.lookup(keys, level)
        lon += list(hit.lon)
        lat += list(hit.lat)
    return np.column_stack(_TO_BNG.transform(lon, lat))


def _apart(lat_lon: tuple[float, float]) -> bool:
    """Whether a place stands well away from every coarse point it could be shown at: a
    postcode sector's or district's centre, or the centre of a cell of the coarse grid
    (500 m of British National Grid here). A record that stood by chance within a few metres
    of its own coarse point would be 'shown' at its place; that is luck, not a leak."""
    x, y = _TO_BNG.transform(lat_lon[1], lat_lon[0])
    cell = COARSE_CELL_M / 2
    if np.hypot((x % COARSE_CELL_M) - cell, (y % COARSE_CELL_M) - cell) < 3 * RADIUS_M:
        return False
    return bool(np.hypot(*(_centres() - (x, y)).T).min() >= 3 * RADIUS_M)


@st.composite
def _words(draw: st.DrawFn, n: int) -> list[str]:
    """``n`` distinct invented words of three syllables, capitalised."""
    word = st.lists(st.sampled_from(SYLLABLES), min_size=3, max_size=3).map(
        lambda parts: "".join(parts).capitalize()
    )
    return draw(st.lists(word, min_size=n, max_size=n, unique=True))


@st.composite
def invented(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A register of invented residents and organisations (every privacy level, at least one
    public macro site with needs), and relationships between random pairs with secret notes."""
    n = draw(st.integers(4, 12))
    privacy = draw(
        st.permutations([*LEVELS, *draw(st.lists(st.sampled_from(LEVELS), min_size=n - 4,
                                                 max_size=n - 4))])
    )  # fmt: skip
    words = draw(_words(4 * n + 12))
    phones = draw(st.lists(st.integers(0, 999), min_size=n, max_size=n, unique=True))
    macro = privacy.index("public")
    rows = []
    for i in range(n):
        first, last, said, wrote = words[4 * i : 4 * i + 4]
        where = draw(
            st.one_of(
                st.tuples(st.floats(52.46, 52.50), st.floats(-1.97, -1.90)).filter(_apart),
                st.sampled_from(POSTCODES),
            )
        )
        tags = st.lists(st.sampled_from(TAGS), max_size=3, unique=True).map("; ".join)
        rows.append(
            {
                "asset_id": f"rx-{first.lower()}",
                "name": f"{first} {last}",
                "kind": "macro" if i == macro else "micro",
                "category": "anchor_institution"
                if i == macro
                else draw(st.sampled_from(["individual", "individual", "association", "economic"])),
                "privacy": privacy[i],
                "offers": draw(tags),
                "needs": draw(tags) if i != macro else "; ".join(TAGS[:4]),
                "postcode": where if isinstance(where, str) else None,
                "latitude": round(where[0], 6) if isinstance(where, tuple) else None,
                "longitude": round(where[1], 6) if isinstance(where, tuple) else None,
                "phone": f"07700 900{phones[i]:03d}",
                "email": f"{first}.{last}@example.org".lower(),
                "notes": f"{said} said so in confidence",
                "description": f"{first} arrived in 2019; {wrote} helped",
            }
        )
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
            min_size=1,
            max_size=n,
        )
    )
    secret = words[4 * n :]
    relationships = pd.DataFrame(
        {
            "source": [rows[a]["asset_id"] for a, _ in pairs],
            "target": [rows[b]["asset_id"] for _, b in pairs],
            "type": draw(
                st.lists(st.sampled_from(["refers", "member_of", "employs"]),
                         min_size=len(pairs), max_size=len(pairs))
            ),
            "note": [f"{secret[i % len(secret)]} disclosed; call 07700 900{900 + i}"
                     for i in range(len(pairs))],
        }
    )  # fmt: skip
    return pd.DataFrame(rows), relationships


def _forbidden_words(raw: pd.DataFrame, relationships: pd.DataFrame, audience: str) -> list[str]:
    """What no file for ``audience`` may say: contacts, notes and relationship notes of every
    record (they never leave), and names, ids, descriptions and full postcodes of the records
    it may not see by name."""
    seen = raw["privacy"].isin(SEEN_BY_NAME[audience])
    words = [*raw["phone"], *raw["phone"].str.replace(" ", ""), *raw["email"], *raw["notes"]]
    words += [*relationships["note"], *relationships["note"].str.split(";").str[0]]
    hidden = raw[~seen]
    words += [*hidden["asset_id"], *hidden["name"], *hidden["description"]]
    words += [d.split("; ")[1] for d in hidden["description"]]
    shown_postcodes = set(raw.loc[seen, "postcode"].dropna())
    for postcode in hidden["postcode"].dropna():
        if postcode not in shown_postcodes:
            words += [postcode, postcode.replace(" ", "")]
    return words


def _written_for(
    register: gpd.GeoDataFrame,
    links: pd.DataFrame,
    relationships: pd.DataFrame,
    graph: nx.MultiGraph,
    audience: Audience,
    folder: Path,
) -> tuple[list[Path], list[tuple[float, float]]]:
    """Every writer's files for ``audience``, and every point it may legitimately show."""
    folder.mkdir(parents=True, exist_ok=True)
    policy = Policy(audience, min_count=5, gazetteer=GAZETTEER)
    published = publish(register, policy=policy, links=links, relationships=relationships)
    written = [save_map(build_map(published), folder / "map.html")]
    written += [
        save_map(build_map(register, audience=audience, links=links), folder / "register.html")
    ]
    written += [save_assets(published, folder / f"assets{s}") for s in _ASSET_SUFFIXES]
    written += [save_links(published, folder / f"links{s}") for s in (".csv", ".xlsx")]
    for suffix in (".graphml", ".gexf", ".gpkg"):
        written.append(save_graph(published, folder / f"published{suffix}"))
        written.append(save_graph(graph, folder / f"graph{suffix}", audience=audience))
    # the charts are pictures, which the scan cannot read (run_project below draws them)
    report = build_report(register, links, published=published, graph=graph, charts=False)
    written += save_report(report, folder / "report")
    # where the records shown coarsely are drawn, with the gazetteer and without (the graph
    # and the map made from the register publish with the audience alone)
    coarse = [published.assets, publish(register, audience=audience).assets]
    points = [
        (p.x, p.y)
        for frame in coarse
        for p in frame.geometry[frame["shown"] == "coarse"]
        if p is not None
    ]
    return written, points


_ASSET_SUFFIXES = (".csv", ".geojson", ".gpkg", ".parquet", ".xlsx")


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=invented())
def test_no_file_says_what_its_audience_may_not_see(
    case: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw, raw_relationships = case
    folder = tmp_path_factory.mktemp("invented")
    register = geocode(validate_assets(raw))
    relationships = read_relationships(raw_relationships, assets=register)
    links = find_links(register, max_distance_m=3000)
    graph = graph_from_assets(register, links=links, relationships=relationships)
    raw.to_csv(folder / "register.csv", index=False)
    raw_relationships.to_csv(folder / "relationships.csv", index=False)
    project = project_from_settings(
        {
            "inputs": {"register": "register.csv", "relationships": "relationships.csv"},
            "links": {"max_distance_m": 3000},
            "map": {"self_contained": False},  # the same data, without the inlined scripts
            "outputs": {"folder": "build"},
        },
        base=folder,
    )
    built = run_project(project, progress=False)
    placed = register[~register.geometry.is_empty & register.geometry.notna()]
    for audience in AUDIENCES:
        written, coarse = _written_for(
            register, links, relationships, graph, audience, folder / audience
        )
        written += [
            p for p in built if p.relative_to(folder / "build").parts[0] in (audience, "build.json")
        ]
        seen = placed["privacy"].isin(SEEN_BY_NAME[audience])
        places = list(zip(placed.geometry.x[~seen], placed.geometry.y[~seen], strict=True))
        # what may be written: the places of records seen by name, and coarse points that do
        # not stand at a hidden record's place (one that did would be the leak looked for)
        shown = list(zip(placed.geometry.x[seen], placed.geometry.y[seen], strict=True))
        if places:
            lon, lat = np.array(coarse).reshape(-1, 2).T
            far = ~near(lon, lat, places, RADIUS_M)
            shown += [c for c, f in zip(coarse, far, strict=True) if f]
        points = separable_points(places, shown, RADIUS_M)
        words = _forbidden_words(raw, raw_relationships, audience)
        with np.errstate(over="ignore"):  # long runs of digits in binary files are no places
            leaks = scan_for(written, words, points, radius_m=RADIUS_M)
        assert not leaks, f"{len(leaks)} leaks for {audience}:\n" + "\n".join(map(str, leaks))


def test_the_invented_places_are_fair() -> None:
    # a record placed by postcode stands well away from every coarse point it could be shown
    # at, so that the scan above never mistakes a coarse point for its place
    placed = geocode(
        validate_assets(
            pd.DataFrame(
                {
                    "asset_id": [f"p{i}" for i in range(len(POSTCODES))],
                    "name": [f"P{i}" for i in range(len(POSTCODES))],
                    "kind": "micro",
                    "category": "association",
                    "privacy": "public",
                    "postcode": list(POSTCODES),
                }
            )
        )
    )
    assert (placed["geocode_method"] == "postcode").all()
    assert all(_apart((p.y, p.x)) for p in placed.geometry)


# --- one build of the sample register, as an attacker receives it ---------------------------


def _build(folder: Path, **settings: dict[str, object]) -> Path:
    """Run a project in ``folder`` (the sample register in the bundled study area unless
    ``inputs`` says otherwise) and return its output folder."""
    raw: dict[str, dict[str, object]] = {
        "inputs": {"sample": True},
        "geocode": {"study_area": "greater-icknield"},
        "outputs": {"folder": "build"},
    }
    for section, values in settings.items():
        raw[section] = {**raw.get(section, {}), **values}
    run_project(project_from_settings(raw, base=folder), progress=False)
    return folder / "build"


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def sample_placed() -> gpd.GeoDataFrame:
    """The sample register placed as the build places it (the truth the attacker is after)."""
    return geocode(datasets.sample_register(), study_area=datasets.study_area())


def _kept_back(placed: gpd.GeoDataFrame) -> pd.Series:
    """The true number of records kept back (from either audience: the private ones) per
    counting area and category, where there are any."""
    located = ~placed.geometry.is_empty & placed.geometry.notna()
    kept = placed[located & (placed["privacy"] == "private")]
    where = count_areas(kept, None, GAZETTEER).to_numpy()
    return kept.groupby([where, kept["category"].astype("str").to_numpy()]).size()


# --- 2. a linear-programming attacker on the counts -----------------------------------------

Cell = tuple[str, str]


@dataclass
class Counts:
    """Every number an attacker holds about the records kept back: cells (area, category) with
    each value they were published with (None: published empty), and published sums of cells
    (totals)."""

    cells: dict[Cell, list[int | None]] = field(default_factory=dict)
    sums: list[tuple[frozenset[Cell], int]] = field(default_factory=list)

    def add_table(self, table: pd.DataFrame) -> None:
        """A table of counts as published: areas down, categories across, maybe totals."""
        table = table.rename(index=str, columns=str)
        rows = [r for r in table.index if r.casefold() != "total"]
        columns = [c for c in table.columns if c.casefold() != "total"]
        for r in rows:
            for c in columns:
                v = table.at[r, c]
                self.cells.setdefault((r, c), []).append(None if pd.isna(v) else int(v))
        for r in table.index:
            for c in table.columns:
                v = table.at[r, c]
                if (r in rows and c in columns) or pd.isna(v):
                    continue
                cover = frozenset(
                    (a, b)
                    for a in ([r] if r in rows else rows)
                    for b in ([c] if c in columns else columns)
                )
                self.sums.append((cover, int(v)))


def _read_counts(folders: list[Path]) -> Counts:
    """What the audience's files say about records kept back: the audits' ``counts`` and the
    report's ``not_shown`` table (CSV and workbook)."""
    counts = Counts()
    for folder in folders:
        for audit in sorted(folder.rglob("*.audit.json")):
            body = json.loads(audit.read_text(encoding="utf-8"))
            for part in body.get("publications", [body]):
                if part.get("counts"):
                    counts.add_table(pd.DataFrame(part["counts"]).T)
        for table in sorted(folder.rglob("not_shown.csv")):
            frame = pd.read_csv(table, dtype={"area": str})
            if len(frame):
                counts.add_table(frame.set_index("area"))
        for workbook in sorted(folder.rglob("report.xlsx")):
            frame = pd.read_excel(workbook, sheet_name="not_shown", dtype={"area": str})
            if len(frame):
                counts.add_table(frame.set_index("area"))
    return counts


def hidden_ranges(
    counts: Counts, min_count: int, *, at_least_one: bool = False, only_small: bool = True
) -> dict[Cell, tuple[int, int]]:
    """For each cell published empty, the smallest and largest number of records it can hold
    given everything published (an integer programme: each cell a whole number, published
    values fixed, empty cells from 0 to ``min_count - 1``, published sums as equalities).

    ``at_least_one``: the attacker also knows that the table lists an area, and a category,
    only where a record is kept back (each listed row and column holds at least one).
    ``only_small``: only counts below the minimum are left empty (the gate's rule); else an
    empty cell may hold any number (secondary suppression hides large ones too)."""
    keys = sorted(counts.cells)
    col = {k: i for i, k in enumerate(keys)}
    lower = np.zeros(len(keys))
    upper = np.full(len(keys), float(min_count - 1) if only_small else np.inf)
    for k, values in counts.cells.items():
        known = {v for v in values if v is not None}
        assert len(known) <= 1, f"cell {k} is published as {sorted(known)} in different files"
        if known:
            lower[col[k]] = upper[col[k]] = known.pop()
    rows, lo, hi = [], [], []
    for cover, total in counts.sums:
        rows.append(np.isin(np.arange(len(keys)), [col[k] for k in cover]).astype(float))
        lo.append(total)
        hi.append(total)
    if at_least_one:
        for axis in (0, 1):
            for name in sorted({k[axis] for k in keys}):
                rows.append(np.array([float(k[axis] == name) for k in keys]))
                lo.append(1)
                hi.append(np.inf)
    constraints = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
    ranges = {}
    for k in keys:
        if any(v is not None for v in counts.cells[k]):
            continue
        ends = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(keys))
            objective[col[k]] = sign
            result = milp(
                objective,
                constraints=constraints,
                integrality=np.ones(len(keys)),
                bounds=Bounds(lower, upper),
            )
            assert result.success, f"no register fits what was published: {result.message}"
            ends.append(round(float(sign * result.fun)))
        ranges[k] = (ends[0], ends[1])
    return ranges


def test_the_attacker_narrows_a_table_with_margins() -> None:
    # the attacker works: the older routine published totals and zeros beside a hidden cell,
    # and the hidden 2 is recovered exactly; the gate's routine leaves it anywhere from 0 to 4
    table = pd.DataFrame({"x": [2, 6], "y": [0, 9]}, index=["a", "b"])
    older = Counts()
    older.add_table(suppress(table, min_count=5))
    assert hidden_ranges(older, 5, only_small=False)[("a", "x")] == (2, 2)
    gate = Counts()
    gate.add_table(protect(table, 5))
    assert set(hidden_ranges(gate, 5).values()) == {(0, 4)}
    # and what the shape of a table says: a listed area with one category holds at least one
    shape = Counts()
    shape.add_table(protect(table.loc[["a"], ["x"]], 5))
    assert hidden_ranges(shape, 5, at_least_one=True) == {("a", "x"): (1, 4)}


@pytest.mark.parametrize(
    "knowledge",
    ["what is published", "and the shape of the table"],
)
@pytest.mark.parametrize("audience", ["public", "partners", "both"])
def test_no_hidden_count_can_be_narrowed(
    sample_build: Path, sample_placed: gpd.GeoDataFrame, audience: str, knowledge: str
) -> None:
    folders = [sample_build / a for a in (AUDIENCES if audience == "both" else (audience,))]
    audit = json.loads((folders[0] / "map.html.audit.json").read_text("utf-8"))
    min_count = int(audit["policy"]["min_count"])
    counts = _read_counts(folders)
    assert counts.cells, "the attacker found no count of the records kept back"
    truth = _kept_back(sample_placed)
    # the table's rows are the areas the audience sees records in, and "elsewhere" for the rest
    rows = {r for r, _ in counts.cells}
    truth = truth.groupby(
        [[r if r in rows else "elsewhere" for r in truth.index.get_level_values(0)],
         truth.index.get_level_values(1)]
    ).sum()  # fmt: skip
    true = {k: int(truth.get(k, 0)) for k in counts.cells}
    assert sum(true.values()) == truth.sum(), "kept-back records missing from the counts"
    # the attacker may rely on the table's shape only if it lists just the areas and the
    # categories that hold a record kept back (as the gate does today)
    listed = {r for r, _ in counts.cells}, {c for _, c in counts.cells}
    held = {r for (r, _), v in true.items() if v}, {c for (_, c), v in true.items() if v}
    shape = knowledge != "what is published" and listed == held
    ranges = hidden_ranges(counts, min_count, at_least_one=shape)
    assert ranges, "every count of kept-back records was published"
    wrong = {k: (r, true[k]) for k, r in ranges.items() if not r[0] <= true[k] <= r[1]}
    assert not wrong, f"the attacker's model does not fit the register: {wrong}"
    narrowed = {k: r for k, r in ranges.items() if r != (0, min_count - 1)}
    assert not narrowed, f"hidden counts narrowed below the minimum: {narrowed}"


# --- ...and what the other numbers say about them: nothing ----------------------------------


@pytest.fixture(scope="module")
def seen_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same build without the records kept back (the sample's private residents): what
    the records every audience sees account for, in every table, page and file."""
    folder = tmp_path_factory.mktemp("seen")
    read = functools.partial(pd.read_csv, dtype=str, keep_default_na=False)
    register = read(datasets.sample_register_path())
    register = register[register["privacy"] != "private"]
    ids = set(register["asset_id"])
    relationships = read(datasets.sample_relationships_path())
    relationships = relationships[
        relationships["source"].isin(ids) & relationships["target"].isin(ids)
    ]
    register.to_csv(folder / "register.csv", index=False)
    relationships.to_csv(folder / "relationships.csv", index=False)
    return _build(
        folder,
        inputs={
            "sample": False,
            "register": "register.csv",
            "relationships": "relationships.csv",
        },
    )


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_KEPT_BACK_ONLY = {"not_shown"}  # the only table that may count records kept back


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    sheets = pd.read_excel(path, sheet_name=None)
    about = sheets.get("about")
    if about is not None:  # how many rows each sheet has: not_shown's is its own business
        sheets["about"] = about[~about["sheet"].isin(_KEPT_BACK_ONLY)]
    if "columns" in sheets:
        sheets["columns"] = sheets["columns"][~sheets["columns"]["sheet"].isin(_KEPT_BACK_ONLY)]
    return {k: v for k, v in sheets.items() if k not in _KEPT_BACK_ONLY}


def _audit_without_counts(path: Path) -> Any:
    body = json.loads(path.read_text(encoding="utf-8"))
    for part in body.get("publications", [body]):
        part.pop("counts", None)
    body.pop("written", None)
    return body


def _what_it_says(kind: str, folder: Path) -> dict[str, Any]:
    """What the files of one kind say, apart from the counts of records kept back."""
    if kind == "tables":
        return {
            p.stem: pd.read_csv(p) for p in folder.glob("tables/*.csv")
            if p.stem not in _KEPT_BACK_ONLY
        }  # fmt: skip
    if kind == "workbook":
        return _sheets(folder / "report.xlsx")
    if kind in ("map", "report page"):
        page = (folder / ("map.html" if kind == "map" else "report.html")).read_text("utf-8")
        return {"numbers": _NUMBER.findall(page)}  # charts included, as base64 digits
    if kind == "links and graphs":
        return {p.name: p.read_bytes() for p in (folder / "links.csv", *folder.glob("graph.*"))
                if not p.name.endswith(".json")}  # fmt: skip
    assert kind == "audits"
    return {p.name: _audit_without_counts(p) for p in folder.glob("*.audit.json")}


def _assert_same(full: dict[str, Any], seen: dict[str, Any], kind: str) -> None:
    assert full.keys() == seen.keys(), f"{kind}: {sorted(full)} against {sorted(seen)}"
    for name, value in full.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, seen[name], obj=f"{kind}: {name}")
        elif value != seen[name]:
            lines = [
                json.dumps(v, indent=1, default=str).splitlines()
                if not isinstance(v, bytes)
                else [f"{len(v)} bytes"]
                for v in (value, seen[name])
            ]
            differ = [d for d in difflib.unified_diff(*lines, lineterm="", n=1)][2:14]
            raise AssertionError(
                f"{kind}: {name} differs with the records kept back (-) and without (+):\n"
                + "\n".join(differ)
            )


@pytest.mark.parametrize(
    "kind",
    [
        "tables",
        "workbook",
        "map",
        "report page",
        "links and graphs",
        "audits",
    ],
)
@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_other_number_counts_records_kept_back(
    sample_build: Path, seen_build: Path, audience: Audience, kind: str
) -> None:
    # every number the audience receives, less what the records it sees account for (the same
    # build without the records kept back), is 0 everywhere but the table of kept-back records
    # (the two builds read different registers: one without the private rows)
    inputs = [
        json.loads((b / "build.json").read_text("utf-8"))["inputs"]
        for b in (sample_build, seen_build)
    ]
    assert inputs[0]["register"]["sha256"] != inputs[1]["register"]["sha256"]
    full = _what_it_says(kind, sample_build / audience)
    seen = _what_it_says(kind, seen_build / audience)
    assert full, f"no {kind} written"
    _assert_same(full, seen, kind)


def _district(frame: pd.DataFrame, audit: pd.DataFrame) -> pd.Series:
    """The postcode district each published record is counted in, as the attacker reads it:
    from the postcode (or address) of a record shown exactly, from where the audit says a
    record shown coarsely was placed."""
    exact = frame[frame["shown"] == "exact"]
    levels = [
        GAZETTEER.parse(exact[c].astype(object)).levels["district"].set_axis(exact.index)
        for c in ("postcode", "address")
    ]
    coarse = audit.loc[frame.index[frame["shown"] == "coarse"], "placed_at"]
    placed = coarse.str.extract(r"postcode (?:sector|district) ([A-Z0-9]+)")[0]
    return pd.concat([levels[0].fillna(levels[1]), placed])


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_counts_are_the_records_shown(sample_build: Path, audience: Audience) -> None:
    # the attacker's own accounting, from the published records alone (nodes of the graph,
    # the audit): the per-area table and the map's legend count exactly those
    folder = sample_build / audience
    nodes = gpd.read_file(folder / "graph.gpkg", layer="nodes").set_index("asset_id")
    audit = pd.DataFrame(
        json.loads((folder / "map.html.audit.json").read_text("utf-8"))["records"]
    ).set_index("published_id")
    district = _district(nodes, audit).dropna()
    shown = pd.crosstab(district, nodes.loc[district.index, "category"])
    areas = pd.read_csv(folder / "tables" / "areas.csv", dtype={"area_code": str})
    areas = areas.set_index("area_code")
    table = areas[shown.columns.intersection(areas.columns)].reindex(shown.index, fill_value=0)
    pd.testing.assert_frame_equal(table, shown, check_names=False, check_dtype=False)
    assert areas["assets"].sum() == len(district)
    assert set(areas.columns).intersection(nodes["category"]) == set(shown.columns)
    page = (folder / "map.html").read_text("utf-8")
    legend = dict(re.findall(r"</span>([A-Z][a-z ]+) \((\d+)\)</li>", page))
    micro = nodes[nodes["kind"] == "micro"]["category"].value_counts()
    assert {k: int(v) for k, v in legend.items() if k != "Macro sites"} == {
        c.replace("_", " ").capitalize(): int(n) for c, n in micro.items()
    }
    assert int(legend["Macro sites"]) == int((nodes["kind"] == "macro").sum())
    approximately = re.search(r"(\d+) records? (?:is|are) shown only approximately", page)
    assert approximately and int(approximately.group(1)) == int((nodes["shown"] == "coarse").sum())
    geocoding = pd.read_csv(folder / "tables" / "geocoding.csv")
    assert geocoding["assets"].sum() == int((nodes["shown"] == "exact").sum())


# --- 3. trilateration from the public links and map -----------------------------------------

_BNG = "EPSG:27700"


def _metres(geometry: Any) -> Any:
    """Geometries from lon/lat to British National Grid metres, as the package converts them
    (OSTN15), so that the map's points and the graph's nodes meet."""
    return shapely.transform(
        geometry, lambda xy: np.column_stack(from_lonlat(xy[:, 0], xy[:, 1], _BNG))
    )


@dataclass(frozen=True)
class Ring:
    """What one link says of where a record shown coarsely is: within ``radius_m`` (give or
    take ``slack_m``) of an anchor whose place, or footprint, is public."""

    record: str  # its published id (links.csv), or "<x> <y> <category>" (the map)
    anchor: shapely.Geometry  # metres, British National Grid
    radius_m: float
    slack_m: float


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _ring(value: str, column: str, max_distance_m: float) -> tuple[float, float] | None:
    """The distance (and its slack) a published value says: a distance as it stands; a
    proximity or score (taken as proximity: match and weight 1) through the linear decay
    ``1 - d / max_distance_m``."""
    text = value.replace(",", "").removesuffix(" m walk").removesuffix(" m").strip()
    try:
        number = float(text)
    except ValueError:
        return None
    if not np.isfinite(number):
        return None
    slack = 0.5 * 10.0 ** -_decimals(text)
    if column in ("distance_m", "walk_m", "apart"):
        return number, max(slack, 1.0)
    return (1 - number) * max_distance_m, max(slack * max_distance_m, 1.0)


def _rings(folder: Path, max_distance_m: float) -> tuple[list[Ring], gpd.GeoDataFrame]:
    """Every ring the public files give, and the published records (the graph's nodes) with
    their stated precision."""
    nodes = gpd.read_file(folder / "graph.gpkg", layer="nodes").set_index("asset_id")
    assert nodes.crs.equals(_BNG)
    wkt = nodes["footprint"].to_numpy(dtype=object)
    footprints = shapely.from_wkt(np.where(pd.notna(wkt), wkt, None))
    anchors = pd.Series(
        np.where(shapely.is_missing(footprints), nodes.geometry.to_numpy(), _metres(footprints)),
        index=nodes.index,
    )
    coarse = set(nodes.index[nodes["shown"] == "coarse"])
    rings = []
    links = pd.read_csv(folder / "links.csv", dtype=str, keep_default_na=False)
    for row in links.to_dict("records"):
        ends = {row["source"], row["target"]}
        record, anchor = sorted(ends & coarse), sorted(ends - coarse)
        if len(record) != 1 or len(anchor) != 1:
            continue
        for column in ("distance_m", "walk_m", "proximity", "score"):
            ring = _ring(row.get(column, ""), column, max_distance_m)
            if ring is not None:
                rings.append(Ring(record[0], anchors[anchor[0]], *ring))
                break  # the most exact one
    rings += _map_rings(folder / "map.html", nodes, anchors, max_distance_m)
    return rings, nodes


def _features(page: str) -> list[dict[str, Any]]:
    """Every link line a map page carries, as the browser draws it: ends, "A → B" title and
    card rows, read from the page's packed columns (tests.contracts' own decoder, written apart
    from the runtime) and from any plain GeoJSON features."""
    decoder, out = json.JSONDecoder(), []
    for match in re.finditer(r'\{"geometry":', page):
        try:
            feature, _ = decoder.raw_decode(page, match.start())
        except json.JSONDecodeError:
            continue
        out.append(feature)
    blobs = packed_columns(page)
    for d in blobs.values():
        if not isinstance(d, dict) or "from" not in d:
            continue  # not a layer of lines
        strings = d["strings"]
        ends = list(d["ends"])
        titles = list(d["title"])
        for layer, _ in d["from"]:  # then every row of the point layers it names
            ends += blobs[layer]["lonlat"]
            titles += blobs[layer]["title"]
        xy = np.asarray(ends, dtype=float).reshape(-1, 2)
        for i, (s, t) in enumerate(zip(d["s"], d["t"], strict=True)):
            why, meets, distance = (strings[w] for w in d["words"])
            rows = [[why, d["why"][i]], [distance, d["apart"][i]]]
            if d["meets"][i] >= 0:
                rows.append([meets, strings[d["meets"][i]]])
            rows += [[strings[f[0]], strings[f[1][i]]] for f in d["factors"] if f[1][i] >= 0]
            out.append(
                {
                    "id": f"link-{i}",
                    "geometry": {"type": "LineString", "coordinates": xy[[s, t]].tolist()},
                    "properties": {
                        "title": f"{strings[titles[s]]} → {strings[titles[t]]}",
                        "rows": rows,
                    },
                }
            )
    return out


#: The card's words for what a link says of its distance: the attacker reads them as the ring.
_CARD_RING = {"distance": "apart", FACTOR_WORDS["proximity"].lower(): "proximity",
              FACTOR_WORDS["score"].lower(): "score"}  # fmt: skip


def _label(category: str) -> str:
    return category.replace("_", " ").capitalize()


def _map_rings(
    page: Path, nodes: gpd.GeoDataFrame, anchors: pd.Series, max_distance_m: float
) -> list[Ring]:
    """The rings the map's links give: each line joins a public anchor (titled by its name) to
    a coarse point (titled by a category); a record is known there only by its coarse point
    and category."""
    x, y = nodes.geometry.x.to_numpy(), nodes.geometry.y.to_numpy()
    exact = (nodes["shown"] == "exact").to_numpy()
    titles = np.where(exact, nodes["name"].astype(str), nodes["category"].map(_label))
    rings = []
    for feature in _features(page.read_text(encoding="utf-8")):
        properties = feature.get("properties", {})
        ends_titled = str(properties.get("title", "")).split(" → ")
        line = feature["geometry"]["type"] == "LineString"
        if not line or not str(feature.get("id", "")).startswith("link") or len(ends_titled) != 2:
            continue
        ends = shapely.get_coordinates(_metres(shapely.geometry.shape(feature["geometry"])))
        which = [
            np.flatnonzero((np.hypot(x - ex, y - ey) < 2) & (titles == title))
            for (ex, ey), title in zip(ends, ends_titled, strict=True)
        ]
        kinds = [set(exact[w]) for w in which]
        if sorted(map(sorted, kinds)) != [[False], [True]]:
            continue  # not one end a named anchor and the other a coarse point
        anchor = nodes.index[which[kinds.index({True})][0]]
        cx, cy = ends[kinds.index({False})]
        key = f"{cx:.0f} {cy:.0f} {ends_titled[kinds.index({False})]}"
        said = {_CARD_RING.get(str(k).lower(), str(k).lower()): str(v)
                for k, v in properties.get("rows", [])}  # fmt: skip
        for column in ("apart", "proximity", "score"):
            ring = _ring(said.get(column, ""), column, max_distance_m)
            if ring is not None:
                rings.append(Ring(key, anchors[anchor], *ring))
                break
    return rings


def trilaterate(rings: list[Ring], start: tuple[float, float]) -> np.ndarray:
    """The place (metres) that best fits the rings (least squares, from ``start``)."""
    anchors = np.array(rings, dtype=object)

    def misfit(p: np.ndarray) -> np.ndarray:
        here = shapely.Point(*p)
        distance = shapely.distance(np.array([r.anchor for r in anchors]), here)
        return (distance - np.array([r.radius_m for r in anchors])) / np.array(
            [r.slack_m for r in anchors]
        )

    return np.asarray(least_squares(misfit, np.asarray(start, dtype=float)).x)


def _located(
    folder: Path, placed: gpd.GeoDataFrame, max_distance_m: float = 1200.0
) -> pd.DataFrame:
    """For each record shown coarsely that some ring speaks of: how far the attacker's
    estimate lands from its true place, its stated precision, and how many rings it had."""
    rings, nodes = _rings(folder, max_distance_m)
    audit = pd.DataFrame(
        json.loads((folder / "links.csv.audit.json").read_text("utf-8"))["records"]
    ).set_index("published_id")
    # which record each published id stands for (the gate's own mapping, never written)
    truth = publish(placed, policy=Policy("public", gazetteer=GAZETTEER))
    coarse = truth.assets.index[truth.assets["shown"] == "coarse"]
    drawn = _metres(truth.assets.geometry[coarse].to_numpy())
    assert shapely.distance(drawn, nodes.geometry[coarse].to_numpy()).max() < 1, "not this build"
    back = {p: a for a, p in truth.ids.items() if p != a}
    places = pd.Series(_metres(placed.geometry.to_numpy()), index=placed.index)
    by_record: dict[str, list[Ring]] = {}
    for ring in rings:
        by_record.setdefault(ring.record, []).append(ring)
    rows = []
    for record, said in by_record.items():
        if record in nodes.index:
            start = nodes.geometry[record]
            candidates = [places[back[record]]]
            precision = float(audit.at[record, "precision_m"])
        else:  # a coarse point on the map: any record of that category drawn there
            cx, cy, title = record.split(" ", 2)
            start = shapely.Point(float(cx), float(cy))
            at = nodes[(nodes["shown"] == "coarse") & (nodes.distance(start) < 2)]
            at = at[at["category"].map(_label) == title]
            candidates = [places[back[p]] for p in at.index]
            precision = float(audit.loc[at.index, "precision_m"].max())
        estimate = shapely.Point(*trilaterate(said, (start.x, start.y)))
        rows.append(
            {
                "record": record,
                "rings": len(said),
                "error_m": min(estimate.distance(c) for c in candidates),
                "precision_m": precision,
            }
        )
    return pd.DataFrame(rows, columns=["record", "rings", "error_m", "precision_m"])


@pytest.fixture(scope="module")
def proximity_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Links between every close pair: the most an attacker gets to trilaterate from."""
    return _build(tmp_path_factory.mktemp("proximity"), links={"kind": "proximity", "between": []})


@pytest.mark.parametrize("kind", ["opportunity", "proximity"])
def test_no_coarse_record_is_located_from_links(
    kind: str,
    sample_build: Path,
    proximity_build: Path,
    sample_placed: gpd.GeoDataFrame,
) -> None:
    build = sample_build if kind == "opportunity" else proximity_build
    links = pd.read_csv(build / "public" / "links.csv")
    nodes = gpd.read_file(build / "public" / "graph.gpkg", layer="nodes").set_index("asset_id")
    coarse = set(nodes.index[nodes["shown"] == "coarse"])
    macro = set(nodes.index[(nodes["kind"] == "macro") & (nodes["shown"] == "exact")])
    to_coarse = links["source"].isin(coarse) | links["target"].isin(coarse)
    assert len(macro) >= 3 and to_coarse.sum() >= 10, "too little to attack"
    page = build / "public" / "map.html"
    drawn = [
        f for f in _features(page.read_text("utf-8")) if str(f.get("id", "")).startswith("link")
    ]
    said = int(links_summary(page)[0].split()[0].replace(",", ""))
    assert len(drawn) == said > 0, "the attacker must read every line the map draws"
    located = _located(build / "public", sample_placed)
    beaten = located[located["error_m"] < located["precision_m"]]
    assert beaten.empty, f"coarse records located closer than stated:\n{beaten}"


def _older_published_links(links: pd.DataFrame | None, ends: Any) -> pd.DataFrame | None:
    """The gate before it was attacked: links to coarse records lost their distances and
    factors but kept their score "to one decimal, to rank by"."""
    if links is None:
        return None
    renamed, coarse_ends = ends.renamed(), set(ends.published[ends.coarse])
    src, tgt = links["source"].astype("str"), links["target"].astype("str")
    keep = src.isin(renamed.keys()) & tgt.isin(renamed.keys())
    out = links[keep.to_numpy()].copy()
    out["source"] = src[keep].map(renamed).to_numpy()
    out["target"] = tgt[keep].map(renamed).to_numpy()
    private_end = out["source"].isin(coarse_ends) | out["target"].isin(coarse_ends)
    for column in ("distance_m", "walk_m", "proximity", "match", "weight"):
        if column in out:
            out[column] = out[column].where(~private_end)
    out["score"] = out["score"].where(~private_end, out["score"].round(1))
    for column in ("matched", "met"):
        if column in out:
            out[column] = [() if p else v for p, v in zip(private_end, out[column], strict=True)]
    out["reason"] = np.where(
        private_end, "a link to a record shown only by its category", out["reason"].astype("str")
    )
    return out


def test_trilateration_locates_residents_when_scores_are_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_placed: gpd.GeoDataFrame
) -> None:
    # the attack works: on the older gate, scores to 0.1 from several anchors place residents
    # far closer than the 700-1,300 m their coarse point claims
    monkeypatch.setattr(privacy_publish, "_published_links", _older_published_links)
    build = _build(tmp_path, links={"kind": "proximity", "between": []}, outputs={"report": False})
    located = _located(build / "public", sample_placed)
    well = located[located["rings"] >= 3]
    assert len(well) >= 10
    assert (well["error_m"] < well["precision_m"]).mean() > 0.9
    assert well["error_m"].median() < 100, located.sort_values("error_m").to_string()
