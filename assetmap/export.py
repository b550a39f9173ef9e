"""Writing what :func:`assetmap.privacy.publish` allowed: registers, links and graphs.

Every writer takes what :func:`assetmap.publish` returned and writes its audit beside the file;
given a frame or graph with a ``policy`` (or ``audience``) instead, it asks the gate first.
None of them decides what an audience may see.
"""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ._reproducible import file_time, gdal_time, replacing, write_file
from ._tabular import UNKEPT, without_control_characters, write_csv, write_xlsx
from .crs import geographic, to_crs
from .errors import ConfigurationError, Problem, SchemaError, SchemaWarning
from .graph import graph_from_assets, graph_to_gdfs
from .io import format_of
from .privacy import (
    Audience,
    Policy,
    Published,
    published_or_publish,
    write_audit,
)
from .schema import TAG_COLUMNS, validate_assets

__all__ = ["save_assets", "save_graph", "save_links"]

log = logging.getLogger(__name__)


def _to_text_frame(assets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Lists as JSON text and footprints as WKT, for formats with one geometry and no lists."""
    out = pd.DataFrame(assets.drop(columns=[assets.geometry.name]))
    for col in TAG_COLUMNS:
        if col in out:
            out[col] = out[col].map(
                lambda tags: (
                    json.dumps(list(tags), ensure_ascii=False)
                    if isinstance(tags, list | tuple | np.ndarray)
                    else tags
                )
            )
    if "footprint" in out:
        out["footprint"] = _wkt(assets["footprint"])
    return out


def _wkt(geoms: Any) -> pd.Series:
    values = np.asarray(geoms, dtype=object)
    text = shapely.to_wkt(values, rounding_precision=-1)
    return pd.Series(text, index=geoms.index, dtype=object).astype("str")


def _published(
    data: Any,
    policy: Policy | None,
    audience: Audience | None,
    k: int | None,
    **parts: Any,
) -> Published | None:
    """What a writer writes: what was published, or the gate's answer for the policy (or
    audience) given with a frame; None when neither (the analyst's own copy)."""
    if not isinstance(data, Published) and policy is None and audience is None and k is None:
        return None
    return published_or_publish(data, policy=policy, audience=audience, k=k, **parts)


def save_assets(
    assets: pd.DataFrame | Published,
    path: str | PathLike[str],
    *,
    driver: Literal["csv", "geojson", "gpkg", "parquet", "xlsx"] | None = None,
    policy: Policy | None = None,
    audience: Audience | None = None,
    k: int | None = None,
) -> Path:
    """Write a register so that :func:`assetmap.read_assets` reads back an equal frame.

    Parameters
    ----------
    assets
        What :func:`assetmap.publish` returned (its records are written, with the audit
        beside), or a register as :func:`assetmap.read_assets` or :func:`assetmap.geocode`
        returns it.
    path
        Where to write; the format follows the suffix unless ``driver`` is given.
    driver
        ``"csv"``, ``"geojson"``, ``"gpkg"``, ``"parquet"`` (GeoParquet) or ``"xlsx"``.
    policy, audience
        With a register: publish it for this policy (or audience, see
        :class:`assetmap.privacy.Policy`) first. With neither, the whole register is written
        (for the analyst's own use: it holds personal data).
    k
        Old name of the policy's ``min_count`` (deprecated).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    assets = geographic(assets, "the assets given to save_assets")
    path = Path(path)
    fmt = driver or format_of(path)
    published = _published(assets, policy, audience, k)
    if published is not None:
        gdf = published.assets
    elif isinstance(assets, gpd.GeoDataFrame) and "footprint" in assets:
        gdf = assets
    else:
        gdf = validate_assets(assets, what="register to save")  # type: ignore[arg-type]
    _write_frame(gdf.reset_index(), path, fmt, str(gdf.index.name or "index"))
    if published is not None:
        write_audit(published, path)
    log.info("saved %d assets to %s", len(gdf), path)
    return path


def _write_frame(gdf: gpd.GeoDataFrame, path: Path, fmt: str, id_column: str) -> None:
    """Write a register (its ids in ``id_column``) in a format, replacing ``path`` whole."""
    if fmt not in ("csv", "geojson", "gpkg", "parquet", "xlsx"):
        message = f"cannot write format {fmt!r}; use csv, geojson, gpkg, parquet or xlsx"
        raise SchemaError(str(path), [Problem.of_table(message)])
    ids = gdf[id_column].astype("str")
    label = "asset" if id_column == "asset_id" else id_column
    rows = [f"{label} {i!r}" for i in ids]
    gdf = without_control_characters(gdf, str(path), rows)
    _check_ids(gdf[id_column].astype("str"), ids, id_column, path)
    if fmt == "xlsx":
        sheet = _to_text_frame(gdf)
        sheet["geometry"] = _wkt(gdf.geometry)
        write_xlsx(path, {"assets": sheet}, rows={"assets": rows})
    elif fmt == "csv":
        text = _to_text_frame(gdf)
        text.insert(len(text.columns), "geometry", _wkt(gdf.geometry))
        write_csv(text, path)
    elif fmt == "parquet":
        if "footprint" in gdf and not isinstance(gdf["footprint"].dtype, gpd.array.GeometryDtype):
            gdf = gdf.copy()  # shapes in a plain column (as published): a geometry column
            gdf["footprint"] = gpd.GeoSeries(gdf["footprint"].to_numpy(), crs=gdf.crs)
        with replacing(path) as new:
            gdf.to_parquet(new, index=False)
    else:
        text = gpd.GeoDataFrame(_to_text_frame(gdf), geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
        with replacing(path) as new, gdal_time():
            if fmt == "geojson":  # all 17 significant digits, so coordinates read back equal
                text.to_file(new, driver="GeoJSON", SIGNIFICANT_FIGURES=17)
            else:
                text.to_file(new, driver="GPKG", layer="assets")


def _check_ids(cleaned: pd.Series, given: pd.Series, column: str, path: Path) -> None:
    """Ids that became one when control characters were taken out of them cannot be written."""
    twins = cleaned[cleaned.duplicated(keep=False)]
    if len(twins):
        problems = [
            Problem(
                row=given.iloc[i],
                where=None,
                column=column,
                message=f"becomes {cleaned.iloc[i]!r} without its control characters, as "
                "another id does: give them ids without control characters",
            )
            for i in np.flatnonzero(cleaned.duplicated(keep=False).to_numpy())
        ]
        raise SchemaError(str(path), problems)


def save_links(
    links: Published | pd.DataFrame,
    path: str | PathLike[str],
    *old: Any,
    analyst: bool = False,
    policy: Policy | None = None,
    audience: Audience | None = None,
    k: int | None = None,
) -> Path:
    """Write links as CSV or XLSX, tags joined by "; ".

    Parameters
    ----------
    links
        What :func:`assetmap.publish` returned with ``links=``: only the links its audience may
        see (ends that may not be named appear as their category, without distances), with the
        audit beside. Or, with ``analyst=True``, a links table from :func:`assetmap.find_links`
        as it is: every link with every id, for the analyst's own use (personal data).
    path
        A ``.csv`` or ``.xlsx`` file.
    analyst
        Write a links table that was not published (see ``links``).
    policy, audience, k
        Only for the old form ``save_links(assets, links, path, audience=...)`` (deprecated):
        publish the links with the assets first.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if old:  # save_links(assets, links, path, audience=..., k=...), before the gate
        links, path, analyst = _old_save_links(links, path, old[0], analyst, policy, audience, k)
    path = Path(path)
    if isinstance(links, Published):
        if links.links is None:
            raise ConfigurationError("this publication holds no links: publish(..., links=...)")
        table, published = links.links.copy(), links
    elif analyst:
        table, published = links.copy(), None
    else:
        raise ConfigurationError(
            "save_links writes what publish() returned (publish(assets, links=links, "
            "audience=...)), or every link for the analyst with analyst=True"
        )
    for column in ("matched", "met"):
        if column in table:
            table[column] = table[column].map("; ".join)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx(path, {"links": table})
    elif suffix == ".csv":
        write_csv(table, path)
    else:
        raise ConfigurationError(f"links are written as .csv or .xlsx, not {path.suffix!r}")
    if published is not None:
        write_audit(published, path)
    log.info("saved %d links to %s", len(table), path)
    return path


def _old_save_links(
    assets: Any,
    links: Any,
    path: Any,
    analyst: bool,
    policy: Policy | None,
    audience: Audience | None,
    k: int | None,
) -> tuple[Published | pd.DataFrame, str | PathLike[str], bool]:
    warnings.warn(
        "save_links(assets, links, path, audience=...) is now "
        "save_links(publish(assets, links=links, audience=...), path); the old form goes in "
        "the next release",
        DeprecationWarning,
        stacklevel=3,
    )
    if audience is None and policy is None and k is None and not analyst:
        audience = "public"  # the old default
    published = _published(assets, policy, audience, k, links=links)
    return (links, path, True) if published is None else (published, path, False)


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _flat(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes as GraphML/GEXF hold them: lists as JSON text, no missing values."""
    return {
        k: json.dumps(v) if isinstance(v, list) else v for k, v in attrs.items() if v is not None
    }


#: The GEXF header's date, which networkx sets to today in local time.
_GEXF_DATE = re.compile(rb'(<meta\b[^>]*\blastmodifieddate=")[0-9-]*(")')


def _graph_bytes(F: nx.MultiGraph, suffix: str) -> bytes:
    """GraphML or GEXF bytes of a flat graph, dated :func:`~assetmap._reproducible.file_time`
    (GEXF), without the characters no file keeps (with a warning)."""
    places = []
    parts = [("graph", [(F.graph,)]), ("node", F.nodes(data=True)), ("edge", F.edges(data=True))]
    for what, items in parts:
        for item in items:
            *name, attrs = item
            for key, value in attrs.items():
                if isinstance(value, str) and UNKEPT.search(value):
                    attrs[key] = UNKEPT.sub("", value)
                    places.append(f"{what} {' '.join(map(repr, name))} ({key})".replace("  ", " "))
    if places:
        more = f" and {len(places) - 20} more" if len(places) > 20 else ""
        warnings.warn(
            f"removed control characters that no file format keeps from {len(places)} "
            f"attributes of the {suffix} file: {'; '.join(places[:20])}{more}",
            SchemaWarning,
            stacklevel=3,
        )
    buffer = io.BytesIO()
    if suffix == ".graphml":
        nx.write_graphml(F, buffer)
        return buffer.getvalue()
    nx.write_gexf(F, buffer)
    day = file_time().strftime("%Y-%m-%d").encode()
    return _GEXF_DATE.sub(lambda m: m.group(1) + day + m.group(2), buffer.getvalue(), count=1)


#: Edge kinds that are computed links; every other kind is a declared relationship.
_LINK_KINDS = ("proximity", "opportunity")


def _graph_parts(G: nx.MultiGraph) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """A graph's nodes (EPSG:4326), links and declared relationships, as publish takes them."""
    crs = G.graph.get("crs")
    nodes, edges = graph_to_gdfs(G)
    frame = to_crs(nodes, 4326) if crs else nodes.set_crs(4326, allow_override=True)
    frame = frame.drop(columns=[c for c in ("x", "y") if c in frame.columns])
    if "privacy" not in frame.columns:
        frame["privacy"] = "private"  # nothing says it may be shown: it is not
    edges = pd.DataFrame(edges.drop(columns=edges.geometry.name)).reset_index()
    kind = edges["kind"].astype("str") if "kind" in edges else pd.Series("", index=edges.index)
    is_link = kind.isin(_LINK_KINDS).to_numpy()
    links = edges[is_link].copy()
    # an opportunity's direction (its "source"/"target" attributes) becomes the row's order
    for end, fallback in (("source", "u"), ("target", "v")):
        given = links[end] if end in links else pd.Series(None, index=links.index)
        links[end] = given.where(given.notna(), links[fallback]).astype("str")
    links = links.drop(columns=["u", "v", "key"])
    declared = edges[~is_link]
    relationships = pd.DataFrame(
        {
            "source": declared["u"].astype("str").to_numpy(),
            "target": declared["v"].astype("str").to_numpy(),
            "type": kind[~is_link].to_numpy(),
            "weight": declared["weight"].to_numpy() if "weight" in declared else np.nan,
        }
    )
    return frame, links, relationships


def _graph_of(published: Published, crs: str | None) -> nx.MultiGraph:
    """The graph of what was published: its records, links and relationships."""
    assets = published.assets
    if "footprint" in assets:  # published shapes in a plain column, NaN where there is none
        shapes = assets["footprint"].map(lambda v: v if isinstance(v, shapely.Geometry) else None)
        assets = assets.assign(footprint=shapes.astype(object))
    H = graph_from_assets(
        assets,
        links=published.links,
        relationships=published.relationships,
        crs=crs,
    )
    H.graph["audience"] = published.policy.audience
    return H


def save_graph(
    graph: nx.MultiGraph | Published,
    path: str | PathLike[str],
    *,
    policy: Policy | None = None,
    audience: Audience | None = None,
    k: int | None = None,
) -> Path:
    """Write a graph for an audience: GraphML (Gephi, yEd), GEXF, or a GeoPackage of nodes
    and edges, with its audit beside it.

    Parameters
    ----------
    graph
        What :func:`assetmap.publish` returned (with its links and relationships), or a graph
        from :func:`assetmap.graph_from_assets`, which is published first for the ``policy``
        or ``audience`` (public when neither is given).
    path
        A ``.graphml``, ``.gexf`` or ``.gpkg`` file.
    policy, audience
        Who will read it (see :class:`assetmap.privacy.Policy`); only with a graph.
    k
        Old name of the policy's ``min_count`` (deprecated).

    Only what :func:`assetmap.privacy.publish` lets the audience see is written: private
    records never, records shown coarsely as their category at a coarse point; declared
    relationships keep only their ends, type and weight.
    """
    path = Path(path)
    if isinstance(graph, Published):
        shown = _published(graph, policy, audience, k)
        assert shown is not None
        crs = None
    else:
        crs = graph.graph.get("crs")
        frame, links, relationships = _graph_parts(graph)
        shown = published_or_publish(
            frame, policy=policy, audience=audience, k=k, links=links, relationships=relationships
        )
    H = _graph_of(shown, crs)
    suffix = path.suffix.lower()
    if suffix in (".graphml", ".gexf"):
        F = nx.MultiGraph()
        F.graph.update(_flat(dict(H.graph)))
        F.add_nodes_from((n, _flat(d)) for n, d in H.nodes(data=True))
        F.add_edges_from((u, v, k, _flat(d)) for u, v, k, d in H.edges(keys=True, data=True))
        write_file(path, _graph_bytes(F, suffix))
    elif suffix == ".gpkg":
        nodes, edges = graph_to_gdfs(H)
        with replacing(path) as new, gdal_time():
            for frame, layer in ((nodes.reset_index(), "nodes"), (edges.reset_index(), "edges")):
                flat = without_control_characters(frame, f"{path} ({layer})")
                for col in flat.columns:
                    if col != frame.geometry.name and flat[col].map(_is_list).any():
                        flat[col] = flat[col].map(lambda v: json.dumps(v) if _is_list(v) else v)
                flat.to_file(new, layer=layer, driver="GPKG")
    else:
        raise SchemaError(
            str(path), [Problem.of_table("save_graph writes .graphml, .gexf or .gpkg files")]
        )
    write_audit(shown, path)
    log.info("wrote %s", path)
    return path
