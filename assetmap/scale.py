"""Past one machine's memory: the same functions on dask-geopandas.

:func:`assetmap.geocode`, :func:`assetmap.areas.assign_areas` and :func:`assetmap.find_links`
accept a ``dask_geopandas.GeoDataFrame`` (or, for geocoding, a dask DataFrame) and return a dask
collection; nothing is computed until you ask (``.compute()``, ``.to_parquet()``). Install with
``pip install "assetmap[dask]"``.

- Geocoding and area assignment place each row on its own, so they run partition by partition.
- Links need neighbours: the assets are partitioned in space (a k-d layout of cells holding
  about as many assets each, unless they already are, e.g. by ``spatial_shuffle()``), and
  each partition is given a **halo**: every asset of the other partitions whose point or
  footprint lies within ``max_distance_m`` of the partition's extent. A link is found in the
  partition holding its ``source``, among that partition's assets and its halo, so none is
  lost at an edge and none is found twice. With ``k`` nearest the halo is twice as wide, so
  that the halo's own nearest neighbours are there too (a pair is made by either end's ``k``
  nearest, capped by ``max_distance_m``; ties are broken by the register's order). The result
  equals the in-memory result row for row, except that it is not ranked across partitions
  (sort after computing if you need the order) and its ids are text, not categories.

Run it on an existing cluster by creating a ``distributed.Client`` for it first; dask then uses
that client for every ``.compute()``. With a client, the partitions laid out in space are kept
on its workers (``persist``) while the halos and links are worked out, so each worker holds its
share of the register (spilling to disk past its memory limit, as dask does).

**When it wins.** Not on time on one machine: measured on 2 cores
(``benchmarks/dask_links.py``, two single-threaded workers, 8 partitions, the same links),
:func:`assetmap.find_links` on dask takes 4.5 s at 10^5 assets against 0.18 s in memory
(25×), and 38 s at 10^6 against 3.4 s (11×): laying out, sending and gathering frames between
processes costs more than finding the links. It wins on memory only: read → geocode →
areas → links of a million assets peaks at about 2.1 GiB in one process (about 0.6 GiB of it
imports and the postcode directory, then about 1.5 MB per 1,000 assets;
``benchmarks/links_opportunity.py --pipeline``), so use dask when that exceeds one machine's
memory (past ten million assets on 24 GB) or when the register already lives in partitioned
files on a cluster: read it in partitions (``dask_geopandas.read_parquet``), geocode and link
on dask, and write the links with ``.to_parquet()`` rather than computing them into one
process.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._dispatch import is_dask, register_twin
from .areas import assign_areas
from .crs import metric_crs, projected
from .errors import ConfigurationError
from .geocoding import geocode
from .links import find_links

__all__ = ["is_dask"]

P = ParamSpec("P")

_POSITION = "_assetmap_position"
# each row's extent in the metric CRS, worked out once per row when the rows are numbered
_EXTENT = ["_assetmap_x0", "_assetmap_y0", "_assetmap_x1", "_assetmap_y1"]


def _needs_dask() -> Any:
    try:
        import dask_geopandas
    except ImportError:  # pragma: no cover - only without the extra
        raise ConfigurationError(
            'dask-geopandas is not installed: pip install "assetmap[dask]"'
        ) from None
    return dask_geopandas


def _meta_of(frame: Any, f: Any) -> Any:
    """The output's empty frame: ``f`` applied to the first rows of the first partition."""
    head = frame.get_partition(0).head(50, compute=True)
    if not len(head):
        raise ConfigurationError("the first partition of the dask frame is empty: repartition it")
    return f(head).iloc[:0]


def _partitionwise(
    stage: Callable[Concatenate[gpd.GeoDataFrame, P], gpd.GeoDataFrame],
) -> Callable[Concatenate[Any, P], Any]:
    """``stage`` partition by partition (every row is placed on its own)."""

    def twin(assets: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        _needs_dask()

        def run(part: pd.DataFrame) -> gpd.GeoDataFrame:
            return stage(part, *args, **kwargs)

        meta = _meta_of(assets, run)

        def same_columns(part: pd.DataFrame) -> gpd.GeoDataFrame:
            # area-code columns come with the postcodes a partition holds: every partition
            # gets those of the first (missing where its postcodes have none)
            out = run(part)
            extra = [c for c in out.columns if c not in meta.columns]
            if extra:
                raise ConfigurationError(
                    f"a partition gave columns {extra} that the first did not: put rows with "
                    "postcodes first, or geocode in memory"
                )
            for column in meta.columns.difference(out.columns):
                out[column] = pd.Series(None, index=out.index, dtype=meta[column].dtype)
            return out[meta.columns]

        return assets.map_partitions(same_columns, meta=meta)

    return twin


def _extents(part: gpd.GeoDataFrame, crs: str) -> pd.DataFrame:
    """Each row's extent in the metric CRS: its footprint's bounds, else its point (projected
    once, when the rows are numbered)."""
    if _EXTENT[0] in part.columns:
        known: pd.DataFrame = part[_EXTENT].set_axis(["x0", "y0", "x1", "y1"], axis=1)
        return known
    p = projected(part, crs)
    box = np.column_stack([p.x, p.y, p.x, p.y])
    has = p.has_footprint
    if has.any():
        box[has] = shapely.bounds(p.footprint[has])
    box[~p.placed] = np.nan
    return pd.DataFrame(box, columns=["x0", "y0", "x1", "y1"], index=part.index)


def _bounds(part: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    e = _extents(part, crs)
    return np.array([e["x0"].min(), e["y0"].min(), e["x1"].max(), e["y1"].max()])


def _near(part: gpd.GeoDataFrame, box: np.ndarray, margin: float, crs: str) -> gpd.GeoDataFrame:
    """The rows of ``part`` whose extent lies within ``margin`` of ``box`` (the halo)."""
    if not np.isfinite(box).all():
        return part.iloc[:0]
    e = _extents(part, crs)
    keep = (
        (e["x1"] >= box[0] - margin)
        & (e["x0"] <= box[2] + margin)
        & (e["y1"] >= box[1] - margin)
        & (e["y0"] <= box[3] + margin)
    )
    return part[keep.to_numpy()]


def _links_of(
    core: gpd.GeoDataFrame, halo: list[gpd.GeoDataFrame], kwargs: dict[str, Any]
) -> pd.DataFrame:
    """The links whose source lies in ``core``, found among the core and its halo."""
    both = pd.concat([core, *halo]) if halo else core
    both = both.sort_values(_POSITION, kind="stable")  # the register's order: same ties
    links = find_links(both.drop(columns=[_POSITION, *_EXTENT]), **kwargs)
    # which links start in the core: asked once per distinct source, not once per link
    source = links["source"].astype("category")
    ours = pd.Index(source.cat.categories.astype("str"), dtype=object).isin(
        pd.Index(core.index.astype("str"), dtype=object)
    )
    codes = source.cat.codes.to_numpy()
    mine = (codes >= 0) & ours[np.maximum(codes, 0)]
    out: pd.DataFrame = links[mine].reset_index(drop=True)
    for column in ("source", "target", "reason"):
        out[column] = out[column].astype("str")
    return out


def _with_halo(
    stage: Callable[Concatenate[gpd.GeoDataFrame, P], pd.DataFrame],
) -> Callable[Concatenate[Any, P], Any]:
    """``stage`` (:func:`assetmap.find_links`) on a dask-geopandas GeoDataFrame, with a halo
    per partition."""

    def twin(assets: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
        bound = inspect.signature(stage).bind(None, *args, **kwargs)
        bound.apply_defaults()
        first = next(iter(bound.arguments))
        return _links_on_dask(assets, {k: v for k, v in bound.arguments.items() if k != first})

    return twin


def _links_on_dask(assets: Any, kwargs: dict[str, Any]) -> Any:
    import dask
    import dask.dataframe as dd

    _needs_dask()
    if kwargs.get("streets") is not None:
        raise ConfigurationError(
            "walking distances need the whole street graph in memory: compute the assets first "
            "(assets.compute()) or give no streets"
        )
    if kwargs.get("weights") is not None and not isinstance(kwargs["weights"], str):
        raise ConfigurationError("on dask, weights must name a column of the assets")
    text = [
        c for c in ("offers", "needs") if c in assets.columns and assets._meta[c].dtype != object
    ]
    if text:
        raise ConfigurationError(
            f"the assets' {' and '.join(text)} became text in dask (its string conversion "
            "turns the tuples of tags into strings): make the dask frame inside "
            "dask.config.set({'dataframe.convert-string': False}), or geocode it on dask"
        )
    # with k nearest, a pair is also made by the target's own k nearest: a halo asset's
    # neighbours (within the distance of it) must be there too, so the halo is twice as wide
    distance = float(kwargs.get("max_distance_m", 1200.0)) * (1 if kwargs.get("k") is None else 2)
    crs = kwargs.get("crs")
    if crs is None:
        placed = assets.geometry
        minx, miny, maxx, maxy = (float(v) for v in placed.total_bounds.compute())
        crs = metric_crs((minx, miny, maxx, maxy))
    kwargs = {**kwargs, "crs": crs}
    sizes = assets.map_partitions(len).compute()
    starts = np.r_[0, np.cumsum(sizes)[:-1]]

    def numbered(part: gpd.GeoDataFrame, start: int) -> gpd.GeoDataFrame:
        extents = _extents(part, crs).to_numpy()
        return part.assign(
            **{_POSITION: np.arange(start, start + len(part))},
            **{name: extents[:, k] for k, name in enumerate(_EXTENT)},
        )

    numbered_parts = [
        dask.delayed(numbered)(p, int(s)) for p, s in zip(assets.to_delayed(), starts, strict=True)
    ]
    # kept until the regions made from them are computed (with the boxes below)
    held = numbered_parts = _kept(numbered_parts)
    if getattr(assets, "spatial_partitions", None) is None and assets.npartitions > 1:
        numbered_parts = _kept(_regions(numbered_parts, assets.npartitions, crs))
    boxes = dask.compute(*[dask.delayed(_bounds)(p, crs) for p in numbered_parts])
    del held
    tasks = []
    for i, core in enumerate(numbered_parts):
        halo = [
            dask.delayed(_near)(other, boxes[i], distance, crs)
            for j, other in enumerate(numbered_parts)
            if j != i and _within(boxes[i], boxes[j], distance)
        ]
        tasks.append(dask.delayed(_links_of)(core, halo, kwargs))
    head = assets.get_partition(0).head(2, compute=True)
    meta = find_links(head, **kwargs).iloc[:0]
    for column in ("source", "target", "reason"):
        meta[column] = meta[column].astype("str")
    # matched/met hold tuples: dask must not turn object columns into text
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_delayed(tasks, meta=meta, verify_meta=False)


def _kept(parts: list[Any]) -> list[Any]:
    """The partitions kept on a distributed cluster's workers (``persist``) when one is in use:
    the layout, the halos and the links each read them, and would otherwise have them sent
    and made again each time (three times as long at 10^5 assets). Without a cluster they stay
    lazy, so that a local scheduler never holds the whole register at once."""
    try:
        from distributed import default_client

        default_client()
    except (ImportError, ValueError):
        return parts
    import dask

    return list(dask.persist(*parts))


def _sample(part: gpd.GeoDataFrame, crs: str, every: int) -> np.ndarray:
    e = _extents(part, crs)
    xy = ((e[["x0", "y0"]].to_numpy() + e[["x1", "y1"]].to_numpy()) / 2)[::every]
    return np.asarray(xy[np.isfinite(xy).all(axis=1)])


def _cuts(sample: np.ndarray, n: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Split lines of a k-d layout: ``gx`` strips by x, each cut into ``gy`` cells by y, with
    about the same number of sampled points in every cell."""
    gx = max(1, int(np.ceil(np.sqrt(n))))
    gy = max(1, int(np.ceil(n / gx)))
    q = np.linspace(0, 1, gx + 1)[1:-1]
    xcuts = np.quantile(sample[:, 0], q) if len(sample) else np.zeros(0)
    strip = np.searchsorted(xcuts, sample[:, 0], side="right")
    qy = np.linspace(0, 1, gy + 1)[1:-1]
    ycuts = [
        np.quantile(sample[strip == i, 1], qy) if (strip == i).any() else np.zeros(gy - 1)
        for i in range(gx)
    ]
    return xcuts, ycuts


def _cell_of(
    part: gpd.GeoDataFrame, crs: str, xcuts: np.ndarray, ycuts: list[np.ndarray]
) -> np.ndarray:
    e = _extents(part, crs)
    x = ((e["x0"] + e["x1"]) / 2).to_numpy()
    y = ((e["y0"] + e["y1"]) / 2).to_numpy()
    strip = np.searchsorted(xcuts, np.nan_to_num(x), side="right")
    gy = len(ycuts[0]) + 1
    cell = np.zeros(len(part), dtype=np.int64)
    for i, cuts in enumerate(ycuts):
        mine = strip == i
        cell[mine] = i * gy + np.searchsorted(cuts, np.nan_to_num(y[mine]), side="right")
    return cell  # unplaced rows go with the cell of (0, 0): they have no links


def _take(part: gpd.GeoDataFrame, cell: np.ndarray, which: int) -> gpd.GeoDataFrame:
    return part[cell == which]


def _gather(pieces: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return pd.concat(pieces).sort_values(_POSITION, kind="stable")


def _regions(parts: list[Any], n: int, crs: str) -> list[Any]:
    """Repartition in space: a k-d layout of ``n`` cells with about as many assets each (from a
    sample of every partition), each cell gathered from the pieces of every partition."""
    import dask

    samples = dask.compute(*[dask.delayed(_sample)(p, crs, 20) for p in parts])
    xcuts, ycuts = _cuts(np.concatenate(samples), n)
    cells = [dask.delayed(_cell_of)(p, crs, xcuts, ycuts) for p in parts]
    total = (len(xcuts) + 1) * (len(ycuts[0]) + 1)
    return [
        dask.delayed(_gather)(
            [dask.delayed(_take)(p, c, which) for p, c in zip(parts, cells, strict=True)]
        )
        for which in range(total)
    ]


def _within(a: np.ndarray, b: np.ndarray, margin: float) -> bool:
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    return bool(
        b[2] >= a[0] - margin
        and b[0] <= a[2] + margin
        and b[3] >= a[1] - margin
        and b[1] <= a[3] + margin
    )


register_twin(geocode, _partitionwise(geocode))
register_twin(assign_areas, _partitionwise(assign_areas))
register_twin(find_links, _with_halo(find_links))
