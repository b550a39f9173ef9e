"""No personal data leaves in any file, for either audience; small counts are suppressed."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest

from assetmap import (
    build_map,
    build_report,
    find_links,
    geocode,
    graph_from_assets,
    publish,
    read_relationships,
    save_assets,
    save_graph,
    save_links,
    save_map,
    save_report,
)
from assetmap.privacy import Audience, Policy, Published, suppress
from assetmap.schema import validate_assets
from tests.contracts import assert_no_leaks, near, scan_for

# people who must never be seen: distinctive names, contact details and exact places
SECRETS = [
    ("priv-1", "Zorbalina Quexworth", "07700 900111", "zq@example.org", 52.486311, -1.941717),
    ("priv-2", "Yusufalin Brackenvane", "07700 900222", "yb@example.org", 52.483271, -1.928164),
    ("priv-3", "Xanthippa Grewlock", "07700 900333", "xg@example.org", 52.492113, -1.935521),
    ("area-1", "Wendeline Osterhoff", "07700 900444", "wo@example.org", 52.478861, -1.944312),
    ("area-2", "Valdemaro Thistlewick", "07700 900555", "vt@example.org", 52.489902, -1.922107),
]  # fmt: skip
PARTNER = (
    "partner-1",
    "Ulrika Fennimore Network",
    "07700 900666",
    "ulrika@example.org",
    52.4801,
    -1.9302,
)


@pytest.fixture(scope="module")
def register() -> gpd.GeoDataFrame:
    rows = [
        {"asset_id": "pub-hospital", "name": "Grove Lane Hospital", "kind": "macro",
         "category": "anchor_institution", "privacy": "public", "offers": "jobs",
         "needs": "nursing; catering", "postcode": "B66 2QT", "phone": "0121 000 0000"},
        {"asset_id": "pub-group", "name": "Open Kitchen Group", "kind": "micro",
         "category": "association", "privacy": "public", "offers": "catering",
         "needs": "meeting space", "latitude": 52.4801, "longitude": -1.9402},
    ]  # fmt: skip
    for aid, name, phone, email, lat, lon in SECRETS:
        rows.append(
            {"asset_id": aid, "name": name, "kind": "micro", "category": "individual",
             "privacy": "private" if aid.startswith("priv") else "area", "offers": "nursing",
             "needs": "jobs", "phone": phone, "email": email, "notes": f"notes about {name}",
             "description": f"{name} arrived in 2019", "latitude": lat, "longitude": lon,
             "postcode": "B18 7QH" if aid == "area-1" else None}
        )  # fmt: skip
    aid, name, phone, email, lat, lon = PARTNER
    rows.append({"asset_id": aid, "name": name, "kind": "micro", "category": "association",
                 "privacy": "partners", "offers": "catering", "needs": "jobs", "phone": phone,
                 "email": email, "latitude": lat, "longitude": lon})  # fmt: skip
    return geocode(validate_assets(pd.DataFrame(rows)))


def _words(audience: str) -> list[str]:
    out = []
    for aid, name, phone, email, *_ in SECRETS:
        out += [aid, name, phone, phone.replace(" ", ""), email, f"notes about {name}"]
        out += [name.split()[0], f"{name} arrived in 2019"]
    if audience == "public":
        out += [PARTNER[0], PARTNER[1], PARTNER[2], PARTNER[3]]
    out += ["0121 000 0000"]  # contact details never leave, even of public records
    out += [*NOTE_SECRETS, NOTE_SECRETS[0].replace(" ", "")]  # nor notes on relationships
    return out


#: Where the private residents live (lon, lat): nothing may be written within 50 m of them.
PRIVATE_POINTS = [(lon, lat) for aid, *_, lat, lon in SECRETS if aid.startswith("priv")]

#: Said only in the notes of declared relationships, which never leave.
NOTE_SECRETS = ("07700 900999", "Quillon Marchbanks")


@pytest.fixture(scope="module")
def relationships(register: gpd.GeoDataFrame) -> pd.DataFrame:
    phone, name = NOTE_SECRETS
    return read_relationships(
        pd.DataFrame(
            {
                "source": ["priv-1", "area-1", "pub-hospital", "pub-hospital"],
                "target": ["area-2", "pub-group", "area-2", "pub-group"],
                "type": ["refers", "member_of", "employs", "hosts"],
                "note": [
                    f"{name} introduced them; call {phone}",
                    f"carer: {name}, {phone}",
                    f"employed since 2019, reference {name} {phone}",
                    f"ask {name} on {phone} for the keys",
                ],
            }
        ),
        assets=register,
    )


@pytest.fixture(scope="module")
def links(register: gpd.GeoDataFrame) -> pd.DataFrame:
    return find_links(register, max_distance_m=3000)


@pytest.fixture(scope="module")
def graph(
    register: gpd.GeoDataFrame, links: pd.DataFrame, relationships: pd.DataFrame
) -> nx.MultiGraph:
    return graph_from_assets(register, links=links, relationships=relationships)


@dataclass(frozen=True)
class Given:
    """What a writer is given: the analyst's register, links, relationships and graph."""

    assets: gpd.GeoDataFrame
    links: pd.DataFrame
    relationships: pd.DataFrame
    graph: nx.MultiGraph
    audience: Audience
    folder: Path

    def published(self) -> Published:
        return publish(
            self.assets, links=self.links, relationships=self.relationships, audience=self.audience
        )


def _map(g: Given) -> list[Path]:
    m = build_map(g.assets, audience=g.audience)
    return [save_map(m, g.folder / "map.html", self_contained=True)]


def _report(g: Given) -> list[Path]:
    report = build_report(g.assets, g.links, audience=g.audience, graph=g.graph)
    return save_report(report, g.folder / "report")


def _assets(suffix: str) -> Callable[[Given], list[Path]]:
    return lambda g: [save_assets(g.assets, g.folder / f"assets{suffix}", audience=g.audience)]


def _links(suffix: str) -> Callable[[Given], list[Path]]:
    return lambda g: [save_links(g.published(), g.folder / f"links{suffix}")]


def _graph(suffix: str) -> Callable[[Given], list[Path]]:
    return lambda g: [save_graph(g.graph, g.folder / f"graph{suffix}", audience=g.audience)]


def _published_graph(suffix: str) -> Callable[[Given], list[Path]]:
    return lambda g: [save_graph(g.published(), g.folder / f"published{suffix}")]


#: Every writer, by what it writes: the graph ones from the analyst's graph and from publish().
WRITERS: dict[str, Callable[[Given], list[Path]]] = {
    "map.html": _map,
    **{f"assets{s}": _assets(s) for s in (".csv", ".geojson", ".gpkg", ".parquet", ".xlsx")},
    **{f"links{s}": _links(s) for s in (".csv", ".xlsx")},
    **{f"graph{s}": _graph(s) for s in (".graphml", ".gexf", ".gpkg")},
    **{f"published{s}": _published_graph(s) for s in (".graphml", ".gexf", ".gpkg")},
    "report/": _report,
}


def test_the_fixture_is_fair(register: gpd.GeoDataFrame) -> None:
    # nothing that may be shown stands within 50 m of a private record
    for audience in ("public", "partners"):
        shown = publish(register, audience=audience).assets
        assert not near(shown.geometry.x, shown.geometry.y, PRIVATE_POINTS).any()


@pytest.mark.parametrize("audience", ["public", "partners"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_no_writer_leaks_personal_data(
    register: gpd.GeoDataFrame,
    links: pd.DataFrame,
    relationships: pd.DataFrame,
    graph: nx.MultiGraph,
    tmp_path: Path,
    writer: str,
    audience: Audience,
) -> None:
    given = Given(register, links, relationships, graph, audience, tmp_path)
    written = WRITERS[writer](given)
    main = [p for p in written if not p.name.endswith(".audit.json")]
    audits = [p.with_name(p.name + ".audit.json") for p in main]
    assert any(a.is_file() for a in audits), f"{writer} wrote no audit beside {main}"
    assert_no_leaks(written, _words(audience), PRIVATE_POINTS)


def test_the_scan_catches_a_leak(register: gpd.GeoDataFrame, tmp_path: Path) -> None:
    words = _words("public")
    # the analyst's own copies hold everything, in every format the writers use
    for suffix in (".csv", ".geojson", ".gpkg", ".parquet", ".xlsx"):
        own = save_assets(register, tmp_path / f"own{suffix}")
        found = {leak.what for leak in scan_for([own], words, PRIVATE_POINTS)}
        assert "the word 'Zorbalina Quexworth'" in found, suffix
        assert any(w.startswith("a point within 50 m") for w in found), suffix
    # a private place in British National Grid metres, in a file's geometry only
    bng = register.loc[["priv-2"]].to_crs(27700)
    bng[["geometry"]].to_file(tmp_path / "bng.gpkg", layer="nodes")
    in_metres = [leak.what for leak in scan_for([tmp_path / "bng.gpkg"], [], PRIVATE_POINTS)]
    assert any("(British National Grid x, y)" in what for what in in_metres)
    # a name in base64 inside a page, and a point 40 m (not 60 m) from a private one
    lon, lat = PRIVATE_POINTS[2]
    blob = base64.b64encode(b"<p>Xanthippa Grewlock</p>").decode()
    page = tmp_path / "page.html"
    page.write_text(f'<a href="data:text/html;base64,{blob}">[{lat + 0.00036}, {lon}]</a>')
    in_page = scan_for([page], words, PRIVATE_POINTS)
    assert {(leak.where.split(" at ")[0], leak.what) for leak in in_page} == {
        ("base64", "the word 'Xanthippa Grewlock'"),
        ("base64", "the word 'Xanthippa'"),
        ("bytes", f"a point within 50 m: {lat + 0.00036!r}, {lon!r} (lat, lon)"),
    }
    page.write_text(f"[{lat + 0.00054}, {lon}]")
    assert scan_for([page], words, PRIVATE_POINTS) == []


def test_what_each_audience_sees(register: gpd.GeoDataFrame) -> None:
    public = publish(register, audience="public")
    partners = publish(register, audience="partners")
    assert set(public.assets.index[public.assets["shown"] == "exact"]) == {
        "pub-hospital",
        "pub-group",
    }
    assert "partner-1" in set(partners.assets.index)
    assert set(public.assets.index[public.assets["shown"] == "coarse"]) == {
        "individual-1", "individual-2", "association-1",
    }  # fmt: skip
    coarse = public.assets[public.assets["shown"] == "coarse"]
    assert coarse.drop(columns="geometry").dropna(axis=1, how="all").columns.tolist() == [
        "shown", "precision_m", "kind", "category", "privacy",
    ]  # fmt: skip
    # area-1 has a postcode: the centre of its sector; the others a 500 m grid cell
    assert (coarse["precision_m"] > 100).all()
    audit = public.audit.set_index("published_id")
    # how many is not said: with what is shown, it would count the hidden ones
    assert (
        audit.loc["(not shown on their own)", "placed_at"] == "only in counts per area (see counts)"
    )
    assert public.kept_back == 3  # in memory only, for the analyst
    assert "phone" not in public.audit.attrs["policy"]["fields_exact"]
    assert (
        publish(register, policy=Policy(fields=("phone",))).audit.attrs["policy"]["fields_exact"][
            -1
        ]
        == "phone"
    )


def test_links_to_coarse_records_say_only_what_they_are(register: gpd.GeoDataFrame) -> None:
    links = find_links(register, max_distance_m=3000)
    shown = publish(register, audience="public", links=links).links
    assert shown is not None
    ends = set(shown["source"]) | set(shown["target"])
    assert not any(e.startswith(("priv", "area-", "partner")) for e in ends)
    to_coarse = shown[
        shown["source"].str.startswith("individual") | shown["target"].str.startswith("individual")
    ]
    assert len(to_coarse) and (to_coarse["matched"].map(len) == 0).all()
    assert set(to_coarse["reason"]) == {"a link to a record shown only by its category"}


def test_suppression_by_hand() -> None:
    # primary: the 3 and the 2 are below k = 5
    table = pd.DataFrame({"a": [3, 9, 12], "b": [7, 2, 10], "c": [6, 8, 11]}, index=["x", "y", "z"])
    out = suppress(table, min_count=5)
    assert pd.isna(out.loc["x", "a"]) and pd.isna(out.loc["y", "b"])
    # secondary, columns first: column a had one hidden cell (the 3) and a published total
    # (24), so its smallest other cell goes too (the 9); column b likewise loses the 7. Then
    # rows x (3, 7 hidden) and y (9, 2 hidden) each hold two: nothing more to hide.
    hidden = {(r, c) for r in "xyz" for c in "abc" if pd.isna(out.loc[r, c])}
    assert hidden == {("x", "a"), ("y", "b"), ("y", "a"), ("x", "b")}
    # no row or column is left with a single hidden cell, so none can be recovered
    cells = out.drop(index="total", columns="total")
    assert (cells.isna().sum(axis=1) != 1).all() and (cells.isna().sum(axis=0) != 1).all()
    assert out.loc["z"].tolist() == [12, 10, 11, 33]
    assert out.loc["total"].tolist() == [24, 19, 25, 68]  # totals are never small here
    # a total below k is itself hidden
    small = suppress(pd.DataFrame({"a": [1, 2]}, index=["x", "y"]), min_count=5)
    assert pd.isna(small.loc["total", "a"]) and pd.isna(small.loc["x", "total"])


def test_audit_beside_the_map(register: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = save_map(build_map(register, audience="partners"), tmp_path / "m.html")
    audit = json.loads(path.with_name("m.html.audit.json").read_text(encoding="utf-8"))
    assert audit["policy"]["audience"] == "partners" and audit["export"] == "m.html"
    assert set(audit["records"]["shown"]) == {"exact", "coarse", "counted"}
    assert "written" in audit


def test_a_tiny_postcode_district_is_not_coarse_enough() -> None:
    # B99 is a district of one postcode: its centre would point at a doorstep
    assets = geocode(
        validate_assets(
            pd.DataFrame(
                {
                    "asset_id": ["r"],
                    "name": ["Someone"],
                    "category": ["individual"],
                    "kind": ["micro"],
                    "privacy": ["area"],
                    "postcode": ["B99 9ZZ"],
                    "latitude": [52.48],
                    "longitude": [-1.93],
                }
            )
        ),
        study_area=None,
    )
    audit = publish(assets).audit
    assert audit.loc[0, "placed_at"] == "centre of a 500 m grid cell"
    assert audit.loc[0, "precision_m"] >= 250


def test_links_to_coarse_records_do_not_say_how_far(register: gpd.GeoDataFrame) -> None:
    links = find_links(register, max_distance_m=3000, decay="linear")
    shown = publish(register, audience="public", links=links).links
    assert shown is not None
    coarse = shown["source"].str.contains("-") & ~shown["source"].str.startswith("pub-")
    coarse |= shown["target"].str.contains("-") & ~shown["target"].str.startswith("pub-")
    coarse &= ~(shown["source"].str.startswith("pub-") & shown["target"].str.startswith("pub-"))
    assert coarse.any()
    # no score either: rounded to 0.1 from several anchors, it placed residents within ~30 m
    factors = ["distance_m", "proximity", "match", "weight", "score"]
    assert shown.loc[coarse, factors].isna().all().all()
    # and no place in the ranking: they come last, in the order of their published ids
    assert not coarse.iloc[: int((~coarse).sum())].any()
    last = shown[coarse.to_numpy()]
    ends = list(zip(last["source"], last["target"], strict=True))
    assert ends == sorted(ends)


@pytest.mark.parametrize("ends_as", ["categorical", "text", "categorical apart"])
def test_ends_are_renamed_as_ids_says(
    register: gpd.GeoDataFrame,
    links: pd.DataFrame,
    relationships: pd.DataFrame,
    ends_as: str,
) -> None:
    # links come from find_links with categorical ends (one set of categories for both ends);
    # users bring text, or categoricals of their own: each end is looked up by its id as text
    given = links.copy()
    if ends_as == "text":
        given[["source", "target"]] = given[["source", "target"]].astype("str")
    elif ends_as == "categorical apart":  # each end its own categories, unused and missing ones
        for end in ("source", "target"):
            values = given[end].astype("str").to_numpy(dtype=object)
            values[0] = None
            given[end] = pd.Categorical(values, categories=[*sorted(set(values) - {None}), "x"])
    else:
        assert isinstance(given["source"].dtype, pd.CategoricalDtype)
    public = publish(register, audience="public", links=given, relationships=relationships)
    assert public.links is not None and public.relationships is not None
    ids = dict(public.ids)
    expected = given[given["source"].isin(list(ids)) & given["target"].isin(list(ids))]
    assert len(public.links) == len(expected) > 0
    pairs = set(
        zip(
            expected["source"].astype("str").map(ids),
            expected["target"].astype("str").map(ids),
            strict=True,
        )
    )
    assert set(zip(public.links["source"], public.links["target"], strict=True)) == pairs
    assert set(public.links["source"]) | set(public.links["target"]) <= set(public.assets.index)
    # relationships: both ends shown, renamed the same way; the rest left out
    shown = relationships[
        relationships["source"].isin(list(ids)) & relationships["target"].isin(list(ids))
    ]
    assert list(public.relationships["source"]) == list(shown["source"].map(ids))
    assert list(public.relationships["target"]) == list(shown["target"].map(ids))
    assert not public.relationships["source"].str.startswith(("priv", "area-")).any()
