"""Where the data bundled with assetmap is (layer 0): inside the installed package, or the
source tree's ``data/`` folder."""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_folder"]


def data_folder() -> Path:
    """The folder of the bundled data: inside the installed package, or the source tree's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parent / "data"):
        if (candidate / "sample").is_dir():
            return candidate
    raise FileNotFoundError(
        f"assetmap's bundled data is missing (looked in {here / 'data'} and "
        f"{here.parent / 'data'}); reinstall assetmap with `pip install .`"
    )
