from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from assetmap.geocoding import postcodes
from assetmap.geocoding._text import alphanumeric


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


def test_sector_with_part_of_its_unit_gives_the_sector() -> None:
    out = postcodes.parse(pd.Series(["B16 8Z", "b16  8z", "B16 8", "B168Z", "B16 8C"]))
    assert out["postcode"].isna().all()
    assert out["sector"].tolist()[:3] == ["B16 8", "B16 8", "B16 8"]
    assert out["district"].tolist()[:3] == ["B16", "B16", "B16"]
    # without the space it is read no way (B16 8Z or B1 68Z?); C is never in an inward code
    assert out[["sector", "district"]].iloc[3:].isna().all().all()


def test_outward_twins_as_written_first() -> None:
    assert postcodes.outward_twins("C09") == ("C09", "CO9")
    assert postcodes.outward_twins("B10") == ("B10", "B1O", "BI0", "BIO")
    assert postcodes.outward_twins("NPT") == ("NPT",)


def _reread(values: list[str | None], real: set[str]) -> pd.DataFrame:
    """parse, then reread knowing the gazetteer lists ``real``."""
    given = pd.Series(values, index=[f"r{i}" for i in range(len(values))])
    p = postcodes.parse(given)
    key, note, moved = postcodes.reread(
        given,
        p["postcode"],
        p["note"],
        lambda c: c.isin(real).to_numpy(),
        known=p["postcode"].isin(real).to_numpy(),
    )
    assert list(key.index) == list(given.index) and list(note.index) == list(given.index)
    out = pd.DataFrame({"postcode": key, "note": note})
    out["moved"] = False
    out.iloc[moved, out.columns.get_loc("moved")] = True
    return out


def test_reread_takes_the_one_listed_twin_and_says_so() -> None:
    out = _reread(["C09 2SH", "c09 2sh.", "CO9 2SH", "0L6 7HX"], {"CO9 2SH", "OL6 7HX"})
    assert out["postcode"].tolist() == ["CO9 2SH"] * 3 + ["OL6 7HX"]
    assert out["note"].iloc[0] == (
        "postcode 'C09 2SH' read as 'CO9 2SH' (I/1 or O/0 keyed for the other; "
        "the gazetteer has no 'C09 2SH')"
    )
    assert out["note"].iloc[1].startswith("postcode 'c09 2sh.' read as 'CO9 2SH'")
    assert pd.isna(out["note"].iloc[2])  # as written, listed: nothing to say
    assert out["moved"].tolist() == [True, True, False, False]


def test_reread_never_corrects_a_listed_postcode() -> None:
    # both twins real: each written one is kept as written
    real = {"CO9 2SH", "C09 2SH"}
    out = _reread(["C09 2SH", "CO9 2SH"], real)
    assert out["postcode"].tolist() == ["C09 2SH", "CO9 2SH"]
    assert out["note"].isna().all() and not out["moved"].any()


def test_reread_two_listed_twins_is_noted_not_corrected() -> None:
    # "C0I 1AA": the format takes both "C01 1AA" and "CO1 1AA"; the gazetteer lists both
    out = _reread(["C0I 1AA"], {"C01 1AA", "CO1 1AA"})
    assert out["postcode"].isna().all()
    assert out["note"].iloc[0] == (
        "postcode 'C0I 1AA' could be 'C01 1AA' or 'CO1 1AA' (I/1 or O/0 keyed for the other): "
        "not corrected"
    )


def test_reread_finds_listed_postcodes_the_format_rule_rejects() -> None:
    real = {"NPT 0AD", "W1M 0AA", "B10 0AA", "B18 6RU"}
    out = _reread(
        ["NPT 0AD", "w1m0aa", "WIM 0AA", "Flat 1, NPT 0AD", "Unit 4, B1O 0AA, Birmingham",
         "W1M 0AA or NPT 0AD", "QQ1 1AA", "see notes", None],
        real,
    )  # fmt: skip
    assert out["postcode"].tolist()[:5] == ["NPT 0AD", "W1M 0AA", "W1M 0AA", "NPT 0AD", "B10 0AA"]
    assert out["note"].iloc[:2].isna().all()  # as written: nothing read differently
    assert "read as 'W1M 0AA' (I/1 or O/0" in out["note"].iloc[2]
    assert out["note"].iloc[3] == "postcode 'NPT 0AD' found in 'Flat 1, NPT 0AD'"
    assert out["note"].iloc[4] == (
        "postcode 'B10 0AA' found in 'Unit 4, B1O 0AA, Birmingham' "
        "(written 'B1O 0AA': I/1 or O/0 keyed for the other)"
    )
    assert out["postcode"].iloc[5:].isna().all()
    assert "holds several postcodes" in out["note"].iloc[5]
    assert out["note"].iloc[6:].isna().all()


def test_postcode_codes_are_the_padded_bytes() -> None:
    codes = postcodes.postcode_codes(pd.Series(["B1 1AA", "B1 1AB", "NPT 0AD", "ÉÉ", None]))
    assert codes[0] != codes[1] and codes[3] == -1 and codes[4] == -1
    assert postcodes.first_letter(codes.to_numpy()).tolist() == [66, 66, 78, -1, -1]


@given(st.lists(st.none() | st.text(max_size=12)), st.integers(0, 3))
def test_alphanumeric_removes_what_the_regex_removes(texts: list[str | None], start: int) -> None:
    for arr in (pa.array(texts, type=pa.string()), pa.array(texts, type=pa.large_string())):
        arr = pc.ascii_upper(arr).slice(min(start, len(texts)))  # an offset into the buffers
        expected = pc.replace_substring_regex(arr, r"[^0-9A-Z]", "").to_pylist()
        got = alphanumeric(arr)
        got.validate(full=True)
        assert got.to_pylist() == expected


_POSTCODE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ab\t\né"
_WRITTEN = st.from_regex(postcodes._AS_WRITTEN, fullmatch=True)
_ALMOST = st.builds(
    lambda p, at, ch: p[:at] + ch + p[at + 1 :],
    _WRITTEN, st.integers(0, 8), st.sampled_from(_POSTCODE_CHARS),
)  # fmt: skip


@given(
    st.lists(
        st.none() | _WRITTEN | _ALMOST | st.text(_POSTCODE_CHARS, max_size=10) | st.text(max_size=9)
    ),
    st.integers(0, 3),
)
def test_as_written_is_the_regex(texts: list[str | None], start: int) -> None:
    """The byte-by-byte check of a postcode as written equals the regex it replaces."""
    from assetmap.geocoding._postcode_bytes import as_written

    for arr in (pa.array(texts, type=pa.string()), pa.array(texts, type=pa.large_string())):
        arr = arr.slice(min(start, len(texts)))  # an offset into the buffers
        matched = pc.match_substring_regex(arr, postcodes._AS_WRITTEN)
        expected = pc.fill_null(matched, False).to_pylist()
        ok, spaced = as_written(arr)
        assert ok.tolist() == expected
        has_space = [t is not None and " " in t for t in arr.to_pylist()]
        assert spaced.tolist() == [o and s for o, s in zip(expected, has_space, strict=True)]


def test_as_written_every_shape() -> None:
    from assetmap.geocoding._postcode_bytes import as_written

    ok = ["M1 1AE", "M11AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB", "GIR0AA"]
    bad = ["M1  1AE", "QA1 1AA", "B16 8CJ", "EC1A1BBB", "B1", "", " M1 1AE", "M1 1AE ", "GIR 0AB"]
    assert as_written(pa.array(ok))[0].all()
    assert not as_written(pa.array(bad))[0].any()
