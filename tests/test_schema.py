from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely

from assetmap import read_assets
from assetmap.errors import SchemaError, SchemaWarning
from assetmap.schema import (
    id_categories,
    id_positions,
    normalise_tags,
    parse_tags,
    validate_assets,
    validate_relationships,
)
from tests.contracts import assert_same_rows, odd_register

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_mistake_is_reported_once_with_its_line() -> None:
    with pytest.raises(SchemaError) as info:
        read_assets(FIXTURES / "twenty_mistakes.csv")
    err = info.value
    found = {(p.where, p.column) for p in err.problems}
    expected = {
        ("line 3", "asset_id"),  # missing id
        ("line 4", "name"),  # missing name
        ("line 5", "asset_id"),  # duplicate id (first)
        ("line 6", "asset_id"),  # duplicate id (second)
        ("line 7", "kind"),  # mikro
        ("line 8", "category"),  # asociation
        ("line 9", "privacy"),  # publc
        ("line 10", "latitude"),  # not a number
        ("line 13", "latitude"),  # only one of the pair
        ("line 14", "easting"),  # not a number
        ("line 15", "easting"),  # only one of the pair
        ("line 16", "capacity"),  # not a number
        ("line 17", "capacity"),  # negative
        ("line 18", "recorded"),  # not a date
        ("line 19", "category"),  # macro category on a micro row
        ("line 20", "kind"),  # neither kind
        ("line 20", "category"),  # ... nor category
        ("line 21", "footprint"),  # not WKT
        ("line 23", "asset_id"),  # control character
        ("line 24", "footprint"),  # metres, not degrees
    }
    # out-of-range coordinates (lines 11, 12) and a WKT point (line 22) are not schema
    # errors: the geocoder judges coordinates row by row (see test_geocode)
    assert found == expected
    assert len(err.problems) == len(expected)
    text = str(err)
    assert text.startswith(f"{FIXTURES / 'twenty_mistakes.csv'}: 20 problems found")
    assert "did you mean 'micro'?" in text
    assert "did you mean 'association'?" in text
    assert "did you mean 'public'?" in text
    assert "duplicate id 'a4', also at line 6" in text
    assert "Traceback" not in text


def test_schema_error_is_a_value_error_with_problems() -> None:
    with pytest.raises(ValueError):
        validate_assets(pd.DataFrame({"asset_id": ["x"], "name": ["n"], "kind": ["micro"]}))


def test_missing_id_column_names_the_fix() -> None:
    with pytest.raises(SchemaError, match=r"columns=\{'Your heading': 'asset_id'\}"):
        validate_assets(pd.DataFrame({"name": ["n"]}))


def test_tags_normalise() -> None:
    assert parse_tags("Nursing; catering, ESOL teaching") == [
        "nursing",
        "catering",
        "esol teaching",
    ]
    assert parse_tags(None) == []
    assert parse_tags(["B", "b", " c "]) == ["b", "c"]
    assert normalise_tags(["SOC:2231", "soc:2231"]) == ["soc:2231"]


def test_kind_taken_from_category_and_privacy_defaults_warn() -> None:
    frame = pd.DataFrame(
        {
            "asset_id": ["p1", "g1"],
            "name": ["Person", "Group"],
            "kind": [None, "micro"],
            "category": ["individual", "Association"],
        }
    )
    with pytest.warns(SchemaWarning) as record:
        out = validate_assets(frame)
    messages = " ".join(str(w.message) for w in record)
    assert "taken from their category" in messages
    assert "no privacy level" in messages
    assert out.loc["p1", "kind"] == "micro"
    assert out.loc["p1", "privacy"] == "private"
    assert out.loc["g1", "privacy"] == "public"
    assert out.loc["g1", "category"] == "association"


def test_validation_keeps_rows_order_and_extra_columns() -> None:
    frame = pd.DataFrame(
        {
            "asset_id": ["z", "a", "m"],
            "name": ["Z", "A", "M"],
            "kind": "micro",
            "category": "economic",
            "privacy": "public",
            "ward": ["W1", "W2", "W3"],
        }
    )
    out = validate_assets(frame)
    assert list(out.index) == ["z", "a", "m"]
    assert out["ward"].tolist() == ["W1", "W2", "W3"]
    assert out.crs.to_epsg() == 4326
    assert out.geometry.isna().all()
    assert frame.columns.tolist() == ["asset_id", "name", "kind", "category", "privacy", "ward"]


def test_validation_gives_back_every_row_by_its_id() -> None:
    frame = odd_register()
    out = validate_assets(frame)
    # the ids become the index as written ("0012" stays text); the columns validation parses
    # hold what they said, parsed; every other column (names with quotes and newlines, notes,
    # the user's own "ward") is untouched
    parsed = ["category", "latitude", "longitude", "offers", "footprint"]
    assert_same_rows(frame.set_index("asset_id"), out, changed=parsed)
    assert out["category"].tolist()[:2] == ["economic", "association"]
    assert out.loc["007", ["latitude", "longitude"]].tolist() == [52.48, -1.93]
    assert out["offers"].tolist()[:4] == [["nursing", "catering"], [], [], ["esol"]]
    assert out.loc["x-1", "footprint"].equals(shapely.from_wkt(frame.loc[5, "footprint"]))
    assert frame.equals(odd_register())  # the input is not touched


def test_relationships_list_every_unknown_id() -> None:
    rel = pd.DataFrame(
        {
            "source": ["a", "x", "a"],
            "target": ["b", "y", "a"],
            "type": ["refers", "employs", "hosts"],
        }
    )
    with pytest.raises(SchemaError) as info:
        validate_relationships(rel, ["a", "b"])
    text = str(info.value)
    assert "source 'x' is not an asset_id" in text
    assert "target 'y' is not an asset_id" in text
    assert "links an asset to itself" in text
    ok = validate_relationships(rel.iloc[:1], ["a", "b"])
    assert ok["weight"].tolist() == [1.0]
    with pytest.raises(SchemaError, match="did you mean 'refers'"):
        validate_relationships(
            pd.DataFrame({"source": ["a"], "target": ["b"], "type": ["refer"]}), ["a", "b"]
        )


def test_repeated_problems_are_grouped_and_the_message_stays_short(tmp_path: Path) -> None:
    # 3,487 rows without category, plus one privacy typo: a few lines, every problem kept
    rows = "\n".join(f"Library {i},B66 2QT" for i in range(3487))
    path = tmp_path / "libraries.csv"
    path.write_text("name,postcode,privacy\n" + rows.replace("2QT", "2QT,") + "\nX,B1,publc\n")
    with pytest.raises(SchemaError) as info:
        read_assets(path)
    err = info.value
    assert len(err.problems) == 3489  # 3,488 categories missing, one privacy typo
    text = str(err)
    assert len(text.splitlines()) < 60 and len(text) < 5_000
    assert "on 3488 rows: lines 2\u20133489" in text
    assert "defaults={'category': '...'}" in text
    assert "line 3489" in text and "did you mean 'public'?" in text
    cli = err.message("cli")
    assert "--default category=..." in cli and "--value privacy:publc=..." in cli
    assert "[defaults] category = " in err.message("project")
    table = err.table()
    assert len(table) == 3489 and table.columns.tolist() == [
        "row", "where", "column", "message", "fix"]  # fmt: skip


def test_many_distinct_problems_are_summed_up_after_the_first_forty() -> None:
    frame = pd.DataFrame(
        {"asset_id": [f"a{i}" for i in range(100)], "name": "n", "category": "association",
         "capacity": [f"lots {i}" for i in range(100)]}
    )  # fmt: skip
    with pytest.raises(SchemaError) as info:
        validate_assets(frame)
    lines = str(info.value).splitlines()
    assert len(lines) == 42
    assert lines[-1].startswith("  - and 60 more problems of other kinds, in capacity (60)")


def test_invalid_footprint_is_repaired_and_lines_are_placed_at_a_point() -> None:
    bowtie = "POLYGON ((-1.93 52.48, -1.92 52.49, -1.92 52.48, -1.93 52.49, -1.93 52.48))"
    frame = pd.DataFrame(
        {
            "asset_id": ["bow", "line", "multi"],
            "name": ["Bow", "Path", "Pair"],
            "category": ["capital_development", "natural", "association"],
            "privacy": "public",
            "footprint": [
                bowtie,
                "LINESTRING (-1.94 52.48, -1.92 52.48)",
                "MULTIPOINT ((-1.9 52.4), (-1.8 52.5))",
            ],
        }
    )
    with pytest.warns(SchemaWarning) as record:
        out = validate_assets(frame)
    said = " ".join(str(w.message) for w in record)
    assert "1 footprint(s) were invalid (self-intersecting) and were repaired" in said
    assert "a LineString, not an area" in said and "a MultiPoint, not an area" in said
    assert out.loc["bow", "footprint"].is_valid
    # both triangles of the bow tie kept (buffer(0) would keep one)
    assert out.loc["bow", "footprint"].geom_type == "MultiPolygon"
    assert out.loc["bow", "footprint"].area == pytest.approx(2 * 0.5 * 0.01 * 0.005)
    assert out.loc["line", "footprint"] is None
    assert out.loc["line", ["latitude", "longitude"]].tolist() == pytest.approx([52.48, -1.93])
    assert out.loc["multi", "latitude"] in (52.4, 52.5)


def test_plain_frame_with_wkt_geometry_text_is_read() -> None:
    frame = pd.DataFrame(
        {
            "asset_id": ["p", "s"],
            "name": ["P", "S"],
            "category": ["association", "capital_development"],
            "privacy": "public",
            "geometry": ["POINT (-1.93 52.48)", "POLYGON ((0 51, 0.1 51, 0.1 51.1, 0 51))"],
        }
    )
    out = read_assets(frame)
    assert out.loc["p", ["latitude", "longitude"]].tolist() == [52.48, -1.93]
    assert out.loc["s", "footprint"].geom_type == "Polygon"


def test_fix_is_data_and_renders_for_each_caller() -> None:
    from assetmap.errors import Fix

    fix = Fix("column", "asset_id", heading='Ref "A"')
    assert fix.render("python") == "columns={'Ref \"A\"': 'asset_id'}"
    assert fix.render("cli") == '--column "Ref \\"A\\"=asset_id"'
    assert fix.render("project") == '[columns] "Ref \\"A\\"" = "asset_id"'
    assert Fix("value", "category", "Static Library").render("cli") == (
        '--value "category:Static Library=..."'
    )
    assert Fix("make_ids_unique").render("cli") == "--make-ids-unique"


def test_id_positions_compare_ids_as_text_however_the_ends_are_held() -> None:
    ids = pd.Index(["a1", "7", "b2"], dtype="str")
    text = pd.Series(["b2", "x", None, "7"])
    # categories that are the ids themselves (as find_links gives them), others, and numbers
    own = pd.Series(pd.Categorical(["b2", "a1", None], categories=ids))
    other = pd.Series(pd.Categorical(["b2", "zz", None, "b2"], categories=["zz", "b2", "q"]))
    numbers = pd.Series(pd.Categorical([7, 8]))
    assert id_positions(ids, text).tolist() == [2, -1, -1, 1]
    assert id_positions(ids, own).tolist() == [2, 0, -1]
    assert id_positions(ids, other).tolist() == [2, -1, -1, 2]
    assert id_positions(ids, numbers).tolist() == [1, -1]
    # text held by Arrow (found by Arrow's hash) and by Python objects alike; numeric ids as text
    assert isinstance(text.array, pd.arrays.ArrowStringArray)
    assert id_positions(ids, text.astype(object)).tolist() == [2, -1, -1, 1]
    assert id_positions(pd.Index([5, 7]), pd.Series(["7", "5", "57"])).tolist() == [1, 0, -1]


def test_id_categories_are_the_ids_as_text_checked_unique() -> None:
    ids = pd.Index(["b2", "a1", "7"], dtype="str")
    dtype = id_categories(ids)
    assert "_engine" not in dtype.categories._cache  # no hash index of a million ids
    assert dtype == pd.CategoricalDtype(ids) and dtype.categories.tolist() == ["b2", "a1", "7"]
    assert id_categories(pd.Index([3, 1, 2])).categories.tolist() == ["3", "1", "2"]
    with pytest.raises(ValueError, match="must be unique"):
        id_categories(pd.Index(["a", "b", "a"]))
    with pytest.raises(ValueError, match="cannot be null"):
        id_categories(pd.Index(["a", None], dtype="str"))
