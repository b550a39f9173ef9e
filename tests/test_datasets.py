from __future__ import annotations

import shapely

from assetmap import datasets


def test_sample_register_shape() -> None:
    assets = datasets.sample_register()
    micro = assets[assets["kind"] == "micro"]
    assert len(micro) >= 60
    assert set(micro["category"]) >= {
        "individual",
        "association",
        "economic",
        "physical",
        "institution",
        "natural",
        "cultural",
    }
    residents = micro[micro["category"] == "individual"]
    assert set(residents["privacy"]) <= {"area", "private"}
    assert residents["name"].str.endswith("(pseudonym)").all()
    assert assets.loc["macro-mmuh", "postcode"] == "B66 2QT"
    assert assets.loc["macro-city-hospital", "postcode"] == "B18 7QH"
    assert assets.loc["macro-mmuh", "footprint"] is not None


def test_offers_meet_needs_in_the_sample() -> None:
    assets = datasets.sample_register()
    micro_offers = {t for tags in assets.loc[assets.kind == "micro", "offers"] for t in tags}
    macro_needs = {t for tags in assets.loc[assets.kind == "macro", "needs"] for t in tags}
    assert {
        "nursing",
        "healthcare assistant",
        "catering",
        "cleaning",
        "construction",
        "childcare",
    } <= micro_offers & macro_needs
    micro_needs = {t for tags in assets.loc[assets.kind == "micro", "needs"] for t in tags}
    macro_offers = {t for tags in assets.loc[assets.kind == "macro", "offers"] for t in tags}
    assert {"jobs", "meeting space"} <= micro_needs & macro_offers


def test_study_area_holds_the_sites() -> None:
    area = datasets.study_area().union_all()
    for lon, lat in (
        (-1.9498, 52.4913),
        (-1.9314, 52.4881),
        (-1.929, 52.482),
        (-1.9371, 52.4798),
        (-1.9265, 52.4925),
    ):
        assert area.contains(shapely.Point(lon, lat))


def test_relationships_read() -> None:
    rel = datasets.sample_relationships()
    assert {"refers", "partners", "trains", "hosts"} <= set(rel["type"])
