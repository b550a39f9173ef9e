"""No personal data leaves in any file, for either audience; small counts are suppressed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from assetmap import (
    build_map,
    find_links,
    geocode,
    graph_from_assets,
    save_assets,
    save_graph,
    save_map,
)
from assetmap.privacy import Policy, publish, suppress
from assetmap.schema import validate_assets

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
        out += [aid, name, phone, email, f"notes about {name}", name.split()[0]]
    if audience == "public":
        out += [PARTNER[0], PARTNER[1], PARTNER[2], PARTNER[3]]
    out += ["0121 000 0000"]  # contact details never leave, even of public records
    return out


def _private_points() -> np.ndarray:
    return np.array([[lon, lat] for aid, *_, lat, lon in SECRETS if aid.startswith("priv")])


def _near_private(lon: np.ndarray, lat: np.ndarray) -> bool:
    points = _private_points()
    for plon, plat in points:
        dx = (lon - plon) * np.cos(np.radians(plat)) * 111_320
        dy = (lat - plat) * 110_574
        if (np.hypot(dx, dy) < 50).any():
            return True
    return False


def _numbers_near_private(text: str) -> bool:
    numbers = np.array([float(v) for v in re.findall(r"-?\d+\.\d+", text)])
    if len(numbers) < 2:
        return False
    a, b = numbers[:-1], numbers[1:]
    return _near_private(a, b) or _near_private(b, a)  # lon, lat or lat, lon


def _write_everything(assets: gpd.GeoDataFrame, audience: str, folder: Path) -> list[Path]:
    folder.mkdir()
    links = find_links(assets, max_distance_m=3000)
    G = graph_from_assets(assets, links=links)
    written = [
        save_map(build_map(assets, audience=audience), folder / "map.html", self_contained=True)
    ]
    for suffix in (".csv", ".geojson", ".gpkg", ".parquet", ".xlsx"):
        written.append(save_assets(assets, folder / f"assets{suffix}", audience=audience))
    for suffix in (".graphml", ".gexf", ".gpkg"):
        written.append(save_graph(G, folder / f"graph{suffix}", audience=audience))
    return written + sorted(folder.glob("*.audit.json"))


def _texts(path: Path) -> list[str]:
    """Everything a file says, as text: its bytes, and for binary formats what they decode to."""
    raw = path.read_bytes()
    texts = [raw.decode("utf-8", errors="replace")]
    if path.suffix == ".gpkg":
        for layer, _ in pyogrio.list_layers(path):
            frame = gpd.read_file(path, layer=layer)
            texts.append(frame.drop(columns="geometry").to_csv())
            texts.append(frame.to_crs(4326).geometry.to_wkt().str.cat(sep=" "))
    elif path.suffix == ".parquet":
        frame = gpd.read_parquet(path)
        texts.append(frame.drop(columns="geometry").astype(str).to_csv())
        texts.append(frame.geometry.to_wkt().str.cat(sep=" "))
    elif path.suffix == ".xlsx":
        texts.append(pd.read_excel(path, sheet_name=None)["assets"].to_csv())
    return texts


@pytest.mark.parametrize("audience", ["public", "partners"])
def test_no_writer_leaks_personal_data(
    register: gpd.GeoDataFrame, tmp_path: Path, audience: str
) -> None:
    # the fixture is fair: nothing that may be shown stands within 50 m of a private record
    shown = publish(register, audience=audience).assets
    assert not _near_private(shown.geometry.x.to_numpy(), shown.geometry.y.to_numpy())
    written = _write_everything(register, audience, tmp_path / audience)
    assert len(written) == 9 + 9  # nine exports, each with its audit
    for path in written:
        for text in _texts(path):
            for word in _words(audience):
                assert word not in text, f"{word!r} leaked into {path.name}"
            assert not _numbers_near_private(text), f"a private place leaked into {path.name}"
    # and the same scan does catch a leak: the analyst's own copy holds everything
    own = save_assets(register, tmp_path / "own.csv")
    assert "Zorbalina Quexworth" in own.read_text() and _numbers_near_private(own.read_text())


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
    assert audit.loc["(not shown on their own)", "placed_at"] == "3 records in counts"
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
    assert {r["shown"] for r in audit["records"]} == {"exact", "coarse", "counted"}
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
    assert shown.loc[coarse, ["distance_m", "proximity", "match", "weight"]].isna().all().all()
    assert (shown.loc[coarse, "score"] == shown.loc[coarse, "score"].round(1)).all()
