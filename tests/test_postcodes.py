from __future__ import annotations

import pandas as pd

from assetmap.geocoding import postcodes


def test_normalise_spacing_and_case() -> None:
    given = pd.Series(["b66 2qt", "B662QT", " B66  2QT ", "B66 2QT.", "b1 1aa", "EC1A1BB"])
    assert postcodes.normalise(given).tolist() == [
        "B66 2QT",
        "B66 2QT",
        "B66 2QT",
        "B66 2QT",
        "B1 1AA",
        "EC1A 1BB",
    ]


def test_validity_follows_the_format() -> None:
    ok = ["GIR 0AA", "W1A 0AX", "SW1A 1AA", "M1 1AE", "CR2 6XH", "DN55 1PT", "B16 8HJ"]
    bad = ["B66", "QQ1 1AA", "B66 2QTX", "B16 8CJ", "1AA B66", "", None, "V1 1AA"]
    assert postcodes.is_valid(pd.Series(ok)).all()
    assert not postcodes.is_valid(pd.Series(bad)).any()
    assert postcodes.normalise(pd.Series(bad)).isna().all()


def test_keeps_index_and_length() -> None:
    given = pd.Series(["b66 2qt", None, "x"], index=["c", "a", "b"])
    out = postcodes.normalise(given)
    assert list(out.index) == ["c", "a", "b"]
    assert out.isna().tolist() == [False, True, True]


def test_split_into_area_district_sector_unit() -> None:
    parts = postcodes.split(pd.Series(["B16 8HJ", "EC1A 1BB", "GIR 0AA", "M1 1AE", None]))
    assert parts["area"].tolist()[:4] == ["B", "EC", "GIR", "M"]
    assert parts["district"].tolist()[:4] == ["B16", "EC1A", "GIR", "M1"]
    assert parts["sector"].tolist()[:4] == ["B16 8", "EC1A 1", "GIR 0", "M1 1"]
    assert parts.iloc[4].isna().all()


def test_parse_reads_what_people_key() -> None:
    written = {
        "b16 8hj": ("B16 8HJ", None),
        "B168HJ": ("B16 8HJ", None),
        "  B16   8HJ ": ("B16 8HJ", None),
        "B16 8HJ.": ("B16 8HJ", "postcode 'B16 8HJ.' read as 'B16 8HJ'"),
        "B1 6 8HJ": ("B16 8HJ", "postcode 'B1 6 8HJ' read as 'B16 8HJ'"),
        "BI6 8HJ": ("B16 8HJ", "(I/1 or O/0 keyed for the other)"),
        "B1O 1AA": ("B10 1AA", "(I/1 or O/0 keyed for the other)"),  # London A9A has no O
        "0L6 7HX": ("OL6 7HX", "(I/1 or O/0 keyed for the other)"),  # never a digit first
        "B16 BHJ": (None, None),  # B/8 is not a twin we correct: not a postcode
        "B18 6RU, 12 Icknield St": ("B18 6RU", "found in"),
        "B18 6RU or B66 2QT": (None, "holds several postcodes"),
        "gir0aa": ("GIR 0AA", None),
        "EC1A1BB": ("EC1A 1BB", None),
    }
    out = postcodes.parse(pd.Series(list(written)))
    for (text, (canon, note)), (_, row) in zip(written.items(), out.iterrows(), strict=True):
        assert (row["postcode"] if pd.notna(row["postcode"]) else None) == canon, text
        if note is None:
            assert pd.isna(row["note"]), (text, row["note"])
        else:
            assert note in row["note"], (text, row["note"])


def test_parse_keeps_a_valid_postcode_as_written() -> None:
    # "BO1" is a well-formed outward code (no such area exists, but the format allows it):
    # only text the format rejects is ever corrected
    out = postcodes.parse(pd.Series(["BO1 1AA"]))
    assert out["postcode"].tolist() == ["BO1 1AA"]
    assert out["note"].isna().all()


def test_parse_partial_postcodes_give_sector_or_district() -> None:
    out = postcodes.parse(pd.Series(["B16 8", "b16", "B16 8HJ", "Birmingham", None]))
    assert out["postcode"].isna().tolist() == [True, True, False, True, True]
    assert out["sector"].iloc[0] == "B16 8" and pd.isna(out["sector"].iloc[1])
    assert out["sector"].iloc[2] == "B16 8"
    assert out["district"].tolist()[:3] == ["B16", "B16", "B16"]
    assert out[["sector", "district"]].iloc[3:].isna().all().all()


def test_parse_without_search_ignores_text_around_a_postcode() -> None:
    out = postcodes.parse(pd.Series(["12 Icknield St B18 6RU"]), search=False)
    assert out["postcode"].isna().all()
