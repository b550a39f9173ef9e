"""Every example notebook runs top to bottom on a real Python kernel, without an error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples" / "notebooks").glob("*.ipynb"))


def test_there_are_three_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "exploring_greater_icknield.ipynb",
        "skills_matching.ipynb",
        "your_own_layers.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    # the kernel imports the source tree under test, as the tests do (not an installed copy)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )

    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    if path.stem == "skills_matching":
        assert "£174,000 a year in pay" in text
    elif path.stem == "your_own_layers":
        # a layer in British National Grid and a networkx street graph, straight in
        assert "OSGB36 / British National Grid" in text and "EPSG:4326" in text
        assert "the same pairs: True ; largest difference: 0.0 m" in text
        assert "CRSError: the assets given to find_links have no CRS" in text
        assert "<StreetGraph: 272 nodes" in text and "link opportunities" in text
        assert "offers interpreting; 250 m walk" in text  # measured on the streets
        assert "<th>private, or not placed</th>" in html  # Published as a table
        assert "Policy for public" in html
        page = html.replace("&quot;", '"')
        assert "leaflet" in page.lower() and page.count("L.control.layers(") == 1
        assert "Macro sites (1)" in page and "Macro sites (2)" in page  # both drawings
    else:
        assert "link opportunities" in text
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
