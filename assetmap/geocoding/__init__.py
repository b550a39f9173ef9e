"""Geocoding: the tiered resolver and the offline and online gazetteers it asks.

- :func:`geocode` places every row (coordinates → footprint → postcode → online → sector →
  district) and says how, in columns.
- :mod:`assetmap.geocoding.postcodes` reads UK postcodes as people key them.
- :mod:`assetmap.geocoding.gazetteer` holds the gazetteer protocol, the ONS postcode directory
  and readers for ONSPD, NSPL and Code-Point Open files.
- :mod:`assetmap.geocoding.providers` asks postcodes.io and Nominatim (opt-in).
"""

from __future__ import annotations

from ._resolve import geocode, geocode_summary

__all__ = ["geocode", "geocode_summary"]
