from __future__ import annotations

import pandas as pd

from assetmap import postcodes


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
