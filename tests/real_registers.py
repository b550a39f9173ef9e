"""Registers in the shapes councils and charities publish them, written byte for byte.

Each function writes one file into a folder and returns its path. The places are real
postcodes of Smethwick and Ladywood (in the ONS directory the geocoder uses) and of Rotterdam;
the names are made up. The shapes follow published registers:

- a council's land and property register (the Local Government Transparency Code's
  "Land and building assets" file): ``GeoX``/``GeoY`` eastings and northings, saved by Excel
  as cp1252 CSV, a quoted address over several lines, a property reference repeated for
  two tenancies of one site;
- a council's list of libraries: a ``Type`` column in the council's own words, no id, no
  category;
- a food bank network's list: one ``latt_long`` column ("52.4877,-1.9171") and postcodes only
  inside the address;
- an ArcGIS Hub export: ``X,Y`` in degrees with an ``OBJECTID``, as CSV and as GeoJSON;
- a Rotterdam register: Dutch headings, latitude/longitude, no UK field at all.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = [
    "arcgis_csv",
    "arcgis_geojson",
    "council_land_register",
    "food_banks",
    "library_list",
    "rotterdam",
]

#: The council register's rows, as its CSV holds them (``\r\n`` line ends, cp1252).
COUNCIL_CSV = (
    "Organisation,Organisation Label,Property Reference,Property Name,Site Address,Postcode,"
    "GeoX,GeoY,Holding Type,Property Type\r\n"
    "Sandwell MBC,E08000028,SMBC-0001,Smethwick Council House,"
    '"High Street\r\nSmethwick",B66 2QT,403502,288151,Freehold,Office\r\n'
    "Sandwell MBC,E08000028,SMBC-0002,Victoria Park Pavilion,"
    '"Victoria Park\r\nSt Paul\'s Road\r\nSmethwick",B66 2LD,402500,288702,Freehold,'
    "Community Centre\r\n"
    "Sandwell MBC,E08000028,SMBC-0003,Café on the Green,"
    '"Bearwood Road\r\nSmethwick",B67 6DR,402242,288074,Leasehold,Shop\r\n'
    "Sandwell MBC,E08000028,SMBC-0003,Café on the Green – Kiosk,"
    '"Bearwood Road\r\nSmethwick",B67 6DR,402250,288080,Leasehold,Shop\r\n'
    "Sandwell MBC,E08000028,SMBC-0004,Galton Valley Allotments,"
    "Galton Valley,B66 2PQ,403328,289263,Freehold,Land\r\n"
)


def council_land_register(folder: Path) -> Path:
    """A council land register: cp1252, GeoX/GeoY, multi-line addresses, a repeated ref."""
    path = folder / "sandwell_land_and_assets.csv"
    path.write_bytes(COUNCIL_CSV.encode("cp1252"))
    return path


def library_list(folder: Path) -> Path:
    """A council's libraries: ``Type`` in its own words, no id, no category."""
    path = folder / "libraries.csv"
    path.write_bytes(
        b"Library name,Type,Address,Postcode,Opening hours\n"
        b"Smethwick Library,Static Library,High Street,B66 2QT,Mon-Sat 9-5\n"
        b"Ladywood Library,static library,Ladywood Middleway,B16 8HJ,Tue-Sat 10-4\n"
        b"Bearwood Library,Static Library,Bearwood Road,B67 6DR,Mon-Fri 9-5\n"
        b"Mobile Library,Mobile  Library,Depot,B18 6RU,Weekly\n"
    )
    return path


def food_banks(folder: Path) -> Path:
    """Food banks: coordinates in one ``latt_long`` column, postcodes inside the address.

    The last row's coordinates (Smethwick) disagree with its address (Ladywood, B1 1TJ):
    the geocoder's check against the postcode must still see it.
    """
    path = folder / "food_banks.csv"
    path.write_bytes(
        b"Name,Address,latt_long,Phone,Needs\n"
        b'Ladywood Food Bank,"St John\'s Church, Ladywood, Birmingham B16 0LB",'
        b'"52.4860,-1.9465",0121 000 0001,volunteers; tinned food\n'
        b'Soho Road Pantry,"12 Icknield Street, Birmingham B18 6RU",'
        b'"52.4877,-1.9171",0121 000 0002,volunteers\n'
        b'Central Food Hub,"Broad Street, Birmingham B1 1TJ","52.4913,-1.9499",'
        b"0121 000 0003,drivers\n"
    )
    return path


ARCGIS_ROWS = [
    # X, Y, OBJECTID, NAME, TYPE, POSTCODE
    (-1.94985, 52.49126, 1, "Smethwick Community Hub", "Community Centre", "B66 2QT"),
    (-1.9325, 52.48864, 2, "Dudley Road Youth Club", "Youth Club", "B18 7QH"),
    (-1.91736, 52.47564, 3, "Ladywood Arts Space", "Arts Venue", "B16 8HJ"),
    (-1.89000, 52.60000, 4, "Nowhere Near Hall", "Community Centre", "B18 4JD"),
]


def arcgis_csv(folder: Path) -> Path:
    """An ArcGIS Hub CSV export: ``X,Y`` in degrees first, then ``OBJECTID``.

    The fourth row's X/Y lie 12 km from its postcode: the geocoder must say so.
    """
    path = folder / "community_centres.csv"
    lines = ["\ufeffX,Y,OBJECTID,NAME,TYPE,POSTCODE"]
    lines += [f"{x},{y},{oid},{name},{kind},{pc}" for x, y, oid, name, kind, pc in ARCGIS_ROWS]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def arcgis_geojson(folder: Path) -> Path:
    """The same layer as ArcGIS Hub serves it as GeoJSON (points in degrees)."""
    features = [
        {
            "type": "Feature",
            "id": oid,
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"OBJECTID": oid, "NAME": name, "TYPE": kind, "POSTCODE": pc},
        }
        for x, y, oid, name, kind, pc in ARCGIS_ROWS
    ]
    # a canal towpath as a line, as such layers hold them
    features.append(
        {
            "type": "Feature",
            "id": 5,
            "geometry": {
                "type": "LineString",
                "coordinates": [[-1.9400, 52.4890], [-1.9300, 52.4880], [-1.9200, 52.4870]],
            },
            "properties": {
                "OBJECTID": 5,
                "NAME": "Birmingham Canal Towpath",
                "TYPE": "Green Space",
                "POSTCODE": None,
            },
        }
    )
    path = folder / "community_centres.geojson"
    collection = {"type": "FeatureCollection", "features": features}
    path.write_bytes(json.dumps(collection).encode("utf-8"))
    return path


def rotterdam(folder: Path) -> Path:
    """A Rotterdam register (as the city's open-data portal exports CSV: commas, decimal
    points): Dutch headings, lat/lon, no postcode or any other UK field."""
    path = folder / "rotterdam_buurthuizen.csv"
    path.write_bytes(
        b"Naam,Soort,Straat,Huisnummer,Plaats,lat,lon\n"
        b"Buurthuis De Esch,Buurthuis,Esch,12,Rotterdam,51.9225,4.5105\n"
        b"Bibliotheek Kralingen,Bibliotheek,Oudedijk,210,Rotterdam,51.9257,4.5055\n"
        b"Wijkcentrum Crooswijk,Buurthuis,Crooswijksestraat,88,Rotterdam,51.9290,4.4950\n"
    )
    return path
