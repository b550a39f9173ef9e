"""A council's land and property register, as published, to a map: five lines of mapping.

Run: python examples/council_register.py [register.csv]

Without a file, it writes a register in the shape councils publish under the Local Government
Transparency Code ("Land and building assets"): saved by Excel as cp1252 CSV, GeoX/GeoY in
British National Grid metres, a site address over several lines, and one property reference
repeated for two tenancies of one site. Nothing is reshaped in pandas first: the mapping says
which heading is which, what the council's words mean, and what to do with the repeated ref.
"""

import sys
import tempfile
from pathlib import Path

from assetmap import build_map, geocode, geocode_summary, publish, read_assets, save_map
from assetmap.errors import SchemaError

if len(sys.argv) > 1:
    path = Path(sys.argv[1])
else:
    path = Path(tempfile.mkdtemp()) / "land_and_assets.csv"
    path.write_bytes(
        (
            "Organisation,Property Reference,Property Name,Site Address,Postcode,GeoX,GeoY,"
            "Holding Type,Property Type\r\n"
            'Sandwell MBC,SMBC-0001,Smethwick Council House,"High Street\r\nSmethwick",'
            "B66 2QT,403502,288151,Freehold,Office\r\n"
            'Sandwell MBC,SMBC-0002,Victoria Park Pavilion,"Victoria Park\r\nSmethwick",'
            "B66 2LD,402500,288702,Freehold,Community Centre\r\n"
            'Sandwell MBC,SMBC-0003,Café on the Green,"Bearwood Road\r\nSmethwick",'
            "B67 6DR,402242,288074,Leasehold,Shop\r\n"
            'Sandwell MBC,SMBC-0003,Café on the Green – Kiosk,"Bearwood Road\r\nSmethwick",'
            "B67 6DR,402250,288080,Leasehold,Shop\r\n"
            "Sandwell MBC,SMBC-0004,Galton Valley Allotments,Galton Valley,B66 2PQ,403328,"
            "289263,Freehold,Land\r\n"
        ).encode("cp1252")
    )

mapping = {
    "columns": {"Property Reference": "asset_id", "Property Name": "name",
                "Site Address": "address", "Property Type": "category"},
    "values": {"category": {"Office": "physical", "Community Centre": "physical",
                            "Shop": "economic", "Land": "natural"}},
    "defaults": {"category": "physical", "privacy": "public"},
}  # fmt: skip
try:
    assets = read_assets(path, **mapping)  # type: ignore[arg-type]
except SchemaError as error:
    # the repeated SMBC-0003: the message names the fix (make_ids_unique=True)
    print(error)
    assets = read_assets(path, **mapping, make_ids_unique=True)  # type: ignore[arg-type]
print(assets[["name", "category", "postcode", "easting", "northing"]].to_string())
placed = geocode(assets)  # GeoX/GeoY read in British National Grid, checked against postcodes
print(geocode_summary(placed))
public = publish(placed, audience="public")
out = save_map(build_map(public), path.with_suffix(".html"), self_contained=True)
print(f"wrote {out}")
