"""Writing what :func:`assetmap.privacy.publish` allowed: registers, links and graphs.

Every writer takes an ``audience`` (or writes the analyst's whole copy when it is None, where
that is offered) and writes the audit of what it published beside the file.
"""

from __future__ import annotations

import json
import logging
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from ._reproducible import stable_xlsx
from .errors import ConfigurationError, Problem, SchemaError
from .graph import graph_to_gdfs, has_value, json_safe
from .io import format_of
from .privacy import Audience, Published, publish, write_audit
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


def save_assets(
    assets: pd.DataFrame,
    path: str | PathLike[str],
    *,
    driver: Literal["csv", "geojson", "gpkg", "parquet", "xlsx"] | None = None,
    audience: Audience | None = None,
    k: int = 5,
) -> Path:
    """Write a register so that :func:`read_assets` reads back an equal frame.

    Parameters
    ----------
    assets
        A register as :func:`read_assets` or :func:`assetmap.geocode` returns it.
    path
        Where to write; the format follows the suffix unless ``driver`` is given.
    driver
        ``"csv"``, ``"geojson"``, ``"gpkg"``, ``"parquet"`` (GeoParquet) or ``"xlsx"``.
    audience
        Write only what this audience may see (``"public"`` or ``"partners"``, see
        :func:`assetmap.privacy.publish`), with an audit file beside it; the whole register
        when None (for the analyst's own use: it holds personal data).
    k
        With ``audience``: counts below this are suppressed in the audit.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    fmt = driver or format_of(path)
    gdf = (
        validate_assets(assets, what="register to save")
        if not isinstance(assets, gpd.GeoDataFrame) or "footprint" not in assets
        else assets
    )
    published = None
    if audience is not None:
        published = publish(gdf, audience=audience, k=k)
        gdf = published.assets
    gdf = gdf.reset_index()
    if fmt == "xlsx":
        sheet = _to_text_frame(gdf)
        sheet["geometry"] = _wkt(gdf.geometry)
        sheet.to_excel(path, index=False, sheet_name="assets")
        stable_xlsx(path)
    elif fmt == "parquet":
        gdf.to_parquet(path, index=False)
    elif fmt == "csv":
        text = _to_text_frame(gdf)
        text.insert(len(text.columns), "geometry", _wkt(gdf.geometry))
        text.to_csv(path, index=False, lineterminator="\n")
    elif fmt in ("geojson", "gpkg"):
        text = gpd.GeoDataFrame(_to_text_frame(gdf), geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
        if fmt == "geojson":  # all 17 significant digits, so coordinates read back equal
            text.to_file(path, driver="GeoJSON", SIGNIFICANT_FIGURES=17)
        else:
            path.unlink(missing_ok=True)  # a new file, not a layer replaced inside an old one
            text.to_file(path, driver="GPKG", layer="assets")
    else:
        raise SchemaError(
            str(path),
            [
                Problem.of_table(
                    f"cannot write format {fmt!r}; use csv, geojson, gpkg, parquet or xlsx"
                )
            ],
        )
    if published is not None:
        write_audit(published, path)
    log.info("saved %d assets to %s", len(gdf), path)
    return path


def save_links(
    assets: pd.DataFrame,
    links: pd.DataFrame,
    path: str | PathLike[str],
    *,
    audience: Audience | None = "public",
    k: int = 5,
) -> Path:
    """Write links as CSV or XLSX, tags joined by "; ".

    Parameters
    ----------
    assets
        The geocoded register the links were found in.
    links
        From :func:`assetmap.find_links`.
    path
        A ``.csv`` or ``.xlsx`` file.
    audience
        ``"public"`` or ``"partners"``: only the links this audience's map would show (ends
        that may not be named appear as their category, without distances), with an audit
        file beside; None writes every link with every id (for the analyst).
    k
        With ``audience``: counts below this are suppressed in the audit.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    published = None
    if audience is not None:
        published = publish(assets, audience=audience, links=links, k=k)
        assert published.links is not None
        links = published.links
    table = links.copy()
    for column in ("matched", "met"):
        if column in table:
            table[column] = table[column].map("; ".join)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        table.to_excel(path, index=False, sheet_name="links")
        stable_xlsx(path)
    elif suffix == ".csv":
        table.to_csv(path, index=False, lineterminator="\n")
    else:
        raise ConfigurationError(f"links are written as .csv or .xlsx, not {path.suffix!r}")
    if published is not None:
        write_audit(published, path)
    log.info("saved %d links to %s", len(table), path)
    return path


def _flat(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes as GraphML/GEXF hold them: lists as JSON text, no missing values."""
    return {
        k: json.dumps(v) if isinstance(v, list) else v for k, v in attrs.items() if v is not None
    }


def _shareable(G: nx.MultiGraph, audience: Audience, k: int) -> tuple[nx.MultiGraph, Published]:
    """The graph as an audience may see it (see :func:`assetmap.privacy.publish`).

    Records shown exactly keep the allowed fields and their place; records shown coarsely
    become ``<category>-<n>`` nodes at their coarse point with only their kind and category;
    private records and their edges are left out; edges to a coarse record lose their tags and
    reasons.
    """
    crs = G.graph.get("crs")
    nodes, edges = graph_to_gdfs(G)
    frame = nodes.to_crs(4326) if crs else nodes.set_crs(4326, allow_override=True)
    frame = frame.drop(columns=[c for c in ("x", "y") if c in frame.columns])
    if "privacy" not in frame.columns:
        frame["privacy"] = "private"  # nothing says it may be shown: it is not
    links = edges.reset_index()
    # an opportunity's direction (its "source"/"target" attributes) becomes the row's order
    directed = links["source"].notna() if "source" in links else pd.Series(False, index=links.index)
    if directed.any():
        flip = directed & (links["source"].astype("str") != links["u"].astype("str"))
        links.loc[flip, ["u", "v"]] = links.loc[flip, ["v", "u"]].to_numpy()
    links = links.drop(columns=[c for c in ("source", "target") if c in links.columns])
    links = links.rename(columns={"u": "source", "v": "target"})
    links["directed"] = directed.to_numpy()
    shown = publish(frame, audience=audience, k=k, links=links)
    H = nx.MultiGraph()
    H.graph.update({"crs": crs, "audience": audience})
    metric = shown.assets.to_crs(crs) if crs else shown.assets
    for published_id, row in shown.assets.drop(columns="geometry").iterrows():
        attrs = {c: json_safe(v) for c, v in row.items() if has_value(v) or isinstance(v, list)}
        point = metric.geometry.loc[published_id]
        if point is not None and not point.is_empty:
            attrs["x"], attrs["y"] = float(point.x), float(point.y)
        H.add_node(str(published_id), **attrs)
    if shown.links is not None:
        for record in shown.links.drop(columns=["geometry"], errors="ignore").to_dict("records"):
            u, v, key = record.pop("source"), record.pop("target"), record.pop("key", None)
            directed = bool(record.pop("directed", False))
            attrs = {c: json_safe(val) for c, val in record.items() if has_value(val)}
            attrs = {c: val for c, val in attrs.items() if val is not None and val != []}
            if directed:
                attrs["source"], attrs["target"] = u, v
            H.add_edge(u, v, key=key, **attrs)
    return H, shown


def save_graph(
    G: nx.MultiGraph, path: str | PathLike[str], *, audience: Audience = "public", k: int = 5
) -> Path:
    """Write the graph for an audience: GraphML (Gephi, yEd), GEXF, or a GeoPackage of nodes
    and edges, with its audit beside it.

    Only what :func:`assetmap.privacy.publish` lets the audience see is written: private
    records never, records shown coarsely as their category at a coarse point.
    """
    path = Path(path)
    H, shown = _shareable(G, audience, k)
    suffix = path.suffix.lower()
    if suffix in (".graphml", ".gexf"):
        F = nx.MultiGraph()
        F.graph.update(_flat(dict(H.graph)))
        F.add_nodes_from((n, _flat(d)) for n, d in H.nodes(data=True))
        F.add_edges_from((u, v, k, _flat(d)) for u, v, k, d in H.edges(keys=True, data=True))
        (nx.write_graphml if suffix == ".graphml" else nx.write_gexf)(F, path)
    elif suffix == ".gpkg":
        path.unlink(missing_ok=True)  # a new file, not layers replaced inside an old one
        nodes, edges = graph_to_gdfs(H)
        for frame, layer in ((nodes.reset_index(), "nodes"), (edges.reset_index(), "edges")):
            flat = frame.copy()
            for col in flat.columns:
                if col != flat.geometry.name and flat[col].map(lambda v: isinstance(v, list)).any():
                    flat[col] = flat[col].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
            flat.to_file(path, layer=layer, driver="GPKG")
    else:
        raise SchemaError(
            str(path), [Problem.of_table("save_graph writes .graphml, .gexf or .gpkg files")]
        )
    write_audit(shown, path)
    log.info("wrote %s", path)
    return path
