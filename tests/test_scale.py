"""The dask-geopandas path equals the in-memory one, on a local cluster with 2 workers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assetmap import datasets, find_links, geocode
from assetmap.areas import assign_areas
from assetmap.errors import ConfigurationError

dask_geopandas = pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

N = 20_000
# 21 rows are unplaceable on purpose; the in-memory call warns once about them
# (and the test data is sent from memory, as a user with a frame in memory would)
pytestmark = [
    pytest.mark.filterwarnings("ignore::assetmap.errors.GeocodingWarning"),
    pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning"),
]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            # port 0: any free port (None still tries 8787, and warns when another cluster has it)
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    # dense towns, so that links cross partition edges; a few rows that cannot be placed
    register = datasets.synthetic_register(N, seed=7, towns=6, macro_share=0.02)
    register.loc[register.index[::997], "postcode"] = "ZZ99 9ZZ"
    return register


@pytest.fixture(scope="module")
def placed(register: pd.DataFrame) -> Any:
    return geocode(register, study_area=None)


def _parts(frame: Any, n: int) -> Any:
    """A dask-geopandas frame of a placed register, its tuples of tags kept as tuples."""
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        return dask_geopandas.from_geopandas(frame, npartitions=n, sort=False)


def _same(a: pd.DataFrame, b: pd.DataFrame, by: list[str]) -> None:
    def canonical(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype("str")
        return frame.sort_values(by).reset_index(drop=True)

    pd.testing.assert_frame_equal(canonical(a), canonical(b), check_dtype=False)
    assert len(a) == len(b)


def test_geocode_and_areas_equal_in_memory(
    client: Any, register: pd.DataFrame, placed: Any
) -> None:
    frame = dd.from_pandas(register.set_index("asset_id"), npartitions=6, sort=False)
    lazy = geocode(frame, study_area=None)
    out = lazy.compute()
    assert lazy.npartitions == 6
    # dask hands text back as its own string dtype: the values must be the same
    pd.testing.assert_frame_equal(
        pd.DataFrame(out.drop(columns="geometry")),
        pd.DataFrame(placed.drop(columns="geometry")),
        check_dtype=False,
        check_index_type=False,
    )
    assert out.geometry.geom_equals_exact(placed.geometry, 0).sum() == placed.geometry.notna().sum()
    # areas: a 5 km grid over the register's extent
    import geopandas as gpd
    import shapely

    x0, y0, x1, y1 = placed.total_bounds
    xs, ys = np.arange(x0, x1, 0.07), np.arange(y0, y1, 0.045)
    cells = [shapely.box(x, y, x + 0.07, y + 0.045) for x in xs for y in ys]
    grid = gpd.GeoDataFrame(
        {"area_name": [f"cell {i}" for i in range(len(cells))]},
        geometry=cells,
        index=pd.Index([f"C{i:05d}" for i in range(len(cells))], name="area_code"),
        crs=4326,
    )
    grid.attrs["level"] = "cell"
    parts = dask_geopandas.from_geopandas(placed, npartitions=5, sort=False)
    got = assign_areas(parts, grid).compute()
    want = assign_areas(placed, grid)
    pd.testing.assert_frame_equal(
        pd.DataFrame(got[["cell_code", "cell_name", "area_note"]]),
        pd.DataFrame(want[["cell_code", "cell_name", "area_note"]]),
        check_dtype=False,
        check_index_type=False,
    )


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "proximity", "max_distance_m": 150},
        {"kind": "opportunity", "between": ("micro", "macro"), "max_distance_m": 1200},
        {"kind": "proximity", "k": 3, "max_distance_m": 400},
        {"kind": "opportunity", "max_distance_m": 300, "weights": "capacity"},
    ],
    ids=["proximity", "opportunity", "k-nearest", "opportunity-all-weighted"],
)
def test_links_equal_in_memory(client: Any, placed: Any, options: dict[str, Any]) -> None:
    want = find_links(placed, **options)
    parts = _parts(placed, 8)  # not spatially partitioned
    lazy = find_links(parts, **options)
    got = lazy.compute()
    assert lazy.npartitions >= 8 and len(want) > 1000  # a 3 × 3 k-d layout
    _same(got, want, ["source", "target", "kind"])


def test_links_with_spatial_partitions_and_footprints(client: Any, placed: Any) -> None:
    sites = geocode(datasets.sample_register())
    both = pd.concat([sites, placed])
    both = both[both.geometry.notna() & ~both.geometry.is_empty]  # Hilbert needs places
    want = find_links(both, between=("micro", "macro"), max_distance_m=800)
    # partitioned in space by dask-geopandas itself (the ids kept as the index)
    parts = _parts(both.reset_index(), 4).spatial_shuffle()
    assert parts.spatial_partitions is not None
    parts = parts.map_partitions(lambda p: p.set_index("asset_id"))
    got = find_links(parts, between=("micro", "macro"), max_distance_m=800).compute()
    assert sites["footprint"].notna().sum() >= 2  # distances to footprints cross partitions too
    _same(got, want, ["source", "target", "kind"])


def test_walking_needs_memory(placed: Any) -> None:
    parts = _parts(placed, 2)
    with pytest.raises(ConfigurationError, match="street graph"):
        find_links(parts, streets=object())  # type: ignore[arg-type]


def test_tags_turned_into_text_by_dask_are_one_clear_error(placed: Any) -> None:
    import dask

    with dask.config.set({"dataframe.convert-string": True}):
        parts = dask_geopandas.from_geopandas(placed, npartitions=2, sort=False)
    with pytest.raises(ConfigurationError, match="convert-string"):
        find_links(parts)
