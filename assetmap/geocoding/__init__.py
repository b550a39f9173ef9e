"""Geocoding: the tiered resolver and the offline and online gazetteers it asks.

- :func:`geocode` places every row (coordinates → footprint → postcode → online → sector →
  district) and says how, in columns.
- :mod:`assetmap.geocoding.postcodes` reads UK postcodes as people key them.
- :mod:`assetmap.geocoding.gazetteer` holds the gazetteer protocol, the ONS postcode directory
  and readers for ONSPD, NSPL and Code-Point Open files.
- :mod:`assetmap.geocoding.providers` asks postcodes.io and Nominatim (opt-in); their answers
  are cached on disk (``geocoding.sqlite`` in :attr:`assetmap.settings.Options.cache_folder`):
  :func:`cache_info` says where and what it holds, :func:`clear_cache` empties it.
"""

from __future__ import annotations

from ._cache import CacheInfo, cache_info, clear_cache
from ._resolve import geocode, geocode_summary

__all__ = ["CacheInfo", "cache_info", "clear_cache", "geocode", "geocode_summary"]
