"""The audit file: records as columns, read back whole, never a record not published, same
bytes in any time zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from assetmap import geocode, publish
from assetmap._reproducible import fixed_time
from assetmap.errors import ConfigurationError
from assetmap.privacy import Policy, write_audit
from assetmap.privacy._audit import AUDIT_FORMAT, PER_LINE
from assetmap.schema import validate_assets

#: Ids as people write them: quotes, a comma and a space between quotes, a backslash at the
#: end, brackets, letters beyond ASCII: each must come back as it went in, wherever a line of
#: the file is cut.
ODD_IDS = ['say "hi", "there"', "back\\", "two], [lines", "Zoë ✓", '", "', "plain"]


def _register(n_public: int, n_private: int) -> gpd.GeoDataFrame:
    ids = [*ODD_IDS, *(f"pub-{i}" for i in range(n_public - len(ODD_IDS)))]
    rows = [
        {"asset_id": a, "name": f"Site {i}", "kind": "macro", "category": "anchor_institution",
         "privacy": "public", "latitude": 52.48 + i * 1e-4, "longitude": -1.93}
        for i, a in enumerate(ids)
    ]  # fmt: skip
    rows += [
        {"asset_id": f"hidden-{i}", "name": f"Resident {i}", "kind": "micro",
         "category": "individual", "privacy": "private" if i % 2 else "area",
         "latitude": 52.47 + i * 1e-4, "longitude": -1.92}
        for i in range(n_private)
    ]  # fmt: skip
    return geocode(validate_assets(pd.DataFrame(rows)), study_area=None)


@pytest.fixture(scope="module")
def register() -> gpd.GeoDataFrame:
    # 2 full lines of records and part of a third (plus the rows about what was kept back)
    return _register(2 * PER_LINE + 37, 40)


@pytest.fixture
def utc_clock() -> Iterator[None]:
    with fixed_time(dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)):
        yield


def _read(path: Path) -> dict[str, object]:
    body = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(body, dict)
    return body


def test_records_are_columns_that_read_back_as_the_audit(
    register: gpd.GeoDataFrame, tmp_path: Path, utc_clock: None
) -> None:
    published = publish(register, audience="public")
    path = write_audit(published, tmp_path / "assets.csv")
    assert path.name == "assets.csv.audit.json"
    body = _read(path)
    assert body["format"] == AUDIT_FORMAT and body["export"] == "assets.csv"
    assert body["written"] == "2024-05-06T07:08:09+00:00"
    records = body["records"]
    assert isinstance(records, dict)
    assert list(records) == ["published_id", "shown", "precision_m", "placed_at"]
    assert {len(v) for v in records.values()} == {len(published.audit)}
    back = pd.DataFrame(records)
    expected = published.audit.drop(columns="fields")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    # the odd ids came back as they went in, cut across lines or not
    assert set(ODD_IDS) <= set(records["published_id"])
    assert len(path.read_text(encoding="utf-8").splitlines()) > 3 * 4  # long lists wrapped
    # the fields each way of showing shows, once each; the policy as recorded
    assert body["fields"] == {
        "exact": published.audit.attrs["policy"]["fields_exact"],
        "coarse": ["kind", "category", "privacy"],
        "counted": [],
    }
    assert body["policy"] == published.audit.attrs["policy"]


@pytest.mark.parametrize(("odd", "every"), [("other, fields", False), (None, False), (None, True)])
def test_records_say_their_own_fields_when_the_way_shown_does_not_decide_them(
    register: gpd.GeoDataFrame, tmp_path: Path, odd: str | None, every: bool
) -> None:
    published = publish(register, audience="public")
    audit = published.audit.copy()
    coarse = (audit["shown"] == "coarse").to_numpy()
    rows = coarse.nonzero()[0] if every else coarse.nonzero()[0][:1]
    audit.loc[rows, "fields"] = odd  # records shown coarsely: other fields, or none said
    audit.attrs = published.audit.attrs
    body = _read(write_audit(dataclasses.replace(published, audit=audit), tmp_path / "a.csv"))
    assert "fields" not in body
    records = body["records"]
    assert isinstance(records, dict)
    assert (
        records["fields"]
        == audit["fields"].astype(object).where(audit["fields"].notna(), None).tolist()
    )
    # as they were, the way shown decides them again: said once each
    back = _read(write_audit(published, tmp_path / "b.csv"))
    assert "fields" in back and "fields" not in back["records"]


def test_the_audit_names_no_record_kept_back(register: gpd.GeoDataFrame, tmp_path: Path) -> None:
    published = publish(register, audience="public")
    text = write_audit(published, tmp_path / "map.html").read_text(encoding="utf-8")
    assert "hidden-" not in text and "Resident" not in text
    records = _read(tmp_path / "map.html.audit.json")["records"]
    assert isinstance(records, dict)
    named = set(records["published_id"]) - {"(not shown on their own)"}
    assert named == set(published.assets.index)
    # the records shown coarsely are there, by category only, placed coarsely
    coarse = pd.DataFrame(records).set_index("published_id").loc[lambda t: t["shown"] == "coarse"]
    assert list(coarse.index) == [f"individual-{i}" for i in range(1, 21)]  # in order
    assert (coarse["placed_at"] == "centre of a 500 m grid cell").all()
    assert (coarse["precision_m"] >= 250).all()


def test_counts_read_back_as_published(register: gpd.GeoDataFrame, tmp_path: Path) -> None:
    published = publish(register, audience="public", policy=Policy(min_count=25))
    body = _read(write_audit(published, tmp_path / "a.csv"))
    counts = pd.DataFrame(body["counts"]).T
    assert counts.loc["all", "individual"] is None  # 20 kept back: below 25, left empty
    assert list(counts.index) == [str(i) for i in published.counts.index]
    assert list(counts.columns) == [str(c) for c in published.counts.columns]
    assert counts.isna().to_numpy().all()  # every other category has none: also left empty


def test_several_publications_in_one_file(register: gpd.GeoDataFrame, tmp_path: Path) -> None:
    first = publish(register, audience="partners")
    second = publish(register.iloc[:5], audience="partners")
    body = _read(write_audit([first, second], tmp_path / "map.html"))
    parts = body["publications"]
    assert isinstance(parts, list) and len(parts) == 2
    assert [len(p["records"]["published_id"]) for p in parts] == [
        len(first.audit),
        len(second.audit),
    ]
    assert parts[1]["records"]["published_id"][:5] == list(second.assets.index[:5])
    with pytest.raises(ConfigurationError, match="several audiences"):
        write_audit([first, publish(register, audience="public")], tmp_path / "x.html")


def test_same_bytes_in_any_time_zone(
    register: gpd.GeoDataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = publish(register, audience="partners")
    written = []
    for zone in ("UTC", "Pacific/Chatham", "America/St_Johns"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        with fixed_time(dt.datetime(2024, 1, 1, 23, 30, tzinfo=dt.UTC)):
            written.append(write_audit(published, tmp_path / f"{zone.replace('/', '-')}.csv"))
    monkeypatch.delenv("TZ")
    time.tzset()
    texts = {p.read_bytes().replace(p.name[: -len(".audit.json")].encode(), b"") for p in written}
    assert len(texts) == 1
    assert b'"written": "2024-01-01T23:30:00+00:00"' in texts.pop()
    # in a build, no clock at all
    with fixed_time(None):
        assert _read(write_audit(published, tmp_path / "b.csv"))["written"] is None
    assert os.environ.get("TZ") is None


def test_long_columns_are_cut_between_their_items_whatever_they_hold() -> None:
    from assetmap.privacy._audit import _json

    items = ["a, b", None, 1.5, "x", '", "', "é", -0.0, 7] * 40
    text = _json({"records": {"c": items, "d": ["y"] * 250}}, "")
    assert json.loads(text) == {"records": {"c": items, "d": ["y"] * 250}}
    lines = text.splitlines()
    assert sum(line.startswith("   ") for line in lines) == -(-len(items) // PER_LINE) + 3
    assert all(len(json.loads("[" + line.strip().rstrip(",") + "]")) == PER_LINE
               for line in lines[3:5])  # fmt: skip


@pytest.mark.parametrize("n", [0, 3, PER_LINE, PER_LINE + 1, 7 * PER_LINE + 5])
def test_columns_written_at_once_are_their_lists_written_by_json(n: int) -> None:
    from assetmap.privacy._audit import _Column, _json

    odd = [*ODD_IDS, "tab\there", "nul\x00", "\u2028", "</script>", "{{ x }}", ""]
    floats = [0.0, -0.0, 2.0, 1.5, 1e-05, 1e16, 1 / 3, float("nan"), 5e-324, 250.0]
    columns = {
        "str": pd.Series((odd * n)[:n], dtype="str"),
        "missing": pd.Series(([*odd, None] * n)[:n], dtype="str"),
        "object": pd.Series(([*odd, None] * n)[:n], dtype=object),
        "floats": pd.Series((floats * n)[:n], dtype="float64"),
        "ints": pd.Series(range(n), dtype="int64"),  # (written one by one)
        "mixed": pd.Series((["a", 1.5, None] * n)[:n], dtype=object),
    }
    for name, values in columns.items():
        listed = values.to_numpy(dtype=object, na_value=None).tolist()
        assert _json(_Column(values), "  ") == _json(listed, "  "), name
