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
