"""Every example notebook runs top to bottom on a real Python kernel, without an error."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "examples" / "notebooks").glob("*.ipynb"))


def test_there_are_two_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "exploring_greater_icknield.ipynb",
        "skills_matching.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    if path.stem == "skills_matching":
        assert "£174,000 a year in pay" in text
    else:
        assert "link opportunities" in text
        html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
        assert "leaflet" in html.lower()  # the map drawn inline


# --- what a notebook shows of the objects users hold ----------------------------------------


def test_published_and_policy_show_in_one_line_and_a_small_table() -> None:
    import html as html_module

    from assetmap import datasets, find_links, geocode, publish
    from assetmap.privacy import Policy

    assets = geocode(datasets.sample_register())
    published = publish(assets, audience="public", links=find_links(assets))
    one_line = repr(published)
    assert "\n" not in one_line and len(one_line) < 120
    assert one_line == "<Published for public: 37 exact, 23 coarse, 8 kept back, 107 links>"
    page = published._repr_html_()
    assert len(page) < 2000  # a summary, not the data
    cells = html_module.unescape(page)
    # by privacy level: public exact, partners and area coarse, private only counted
    for level, exact, coarse in (("public", 37, 0), ("partners", 0, 7), ("area", 0, 16)):
        assert f"<th>{level}</th><td>{exact}</td><td>{coarse}</td>" in cells
    assert "<th>private, or not placed</th><td></td><td></td><td>8</td>" in cells
    assert "107 links" in cells

    policy = Policy("partners", fields=("<script>alert(1)</script>",))
    assert "\n" not in repr(policy)
    shown = policy._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<th>named and exact</th><td>partners, public</td>" in shown
