"""Online geocoders, used only when asked for: postcodes.io and geopy's geocoders (Nominatim).

Only postcode and address text ever leaves the machine: never a name, a description or any
other field of a register. Every answer (found or not found) is kept in an on-disk cache in
:attr:`assetmap.settings.Options.cache_folder`, keyed by provider and query, so that no request
is sent twice and a run that was killed resumes where it stopped. Requests are spaced to honour
each provider's policy (Nominatim: one a second, with a real user agent), and retried with
exponential backoff on timeouts, dropped connections, 429 (honouring ``Retry-After``) and 5xx.

Owns the :class:`Provider` protocol and the providers; the cache, spacing, retries and batch
loop they share live in ``_http``.

Examples
--------
Councils that host postcodes.io themselves point it at their own server::

    from assetmap import geocode
    from assetmap.providers import Nominatim, PostcodesIO

    placed = geocode(register, online=[PostcodesIO("https://postcodes.example.gov.uk"),
                                       Nominatim(user_agent="asset-map (me@example.org)")])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol
from urllib.parse import quote

import requests
from geopy import exc as geopy_exc
from geopy.geocoders import Nominatim as _GeopyNominatim
from geopy.geocoders.base import Geocoder

from .. import settings
from ..errors import ConfigurationError
from ._http import Answer, Answers, GiveUp, Policy, Retry, run
from ._tables import POSTCODE_UNIT_PRECISION_M
from .postcode_files import ONSPD_QUALITY

__all__ = ["Answer", "Answers", "GeopyProvider", "Nominatim", "PostcodesIO", "Provider"]

_PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"


class Provider(Protocol):
    """An online geocoder."""

    @property
    def name(self) -> str:
        """Written into ``geocode_method`` for the rows it places (and keys its cache)."""
        ...

    @property
    def field(self) -> Literal["postcode", "address"]:
        """What it looks up: canonical postcodes, or address text."""
        ...

    def geocode(self, queries: Sequence[str]) -> Answers:
        """Answer each distinct query, from the cache where it can."""
        ...


# --- postcodes.io --------------------------------------------------------------------------


@dataclass
class PostcodesIO:
    """postcodes.io: UK postcodes, 100 to a request, for postcodes missing offline.

    Postcodes it does not know are asked of its ``/terminated_postcodes`` end point; a
    terminated postcode is placed at its last point, with a note.

    Parameters
    ----------
    base_url
        The service; councils that host postcodes.io themselves give their own.
    min_delay_s
        Seconds between two requests (postcodes.io publishes no limit; be kind).
    retries, backoff_s
        How many times to retry a failed request, and the first wait (doubled each time).
    timeout_s
        Seconds to wait for an answer; :attr:`assetmap.settings.Options.timeout_s` when None.
    cache
        Keep answers on disk (see the module's text).
    """

    base_url: str = "https://api.postcodes.io"
    min_delay_s: float = 0.1
    retries: int = 4
    backoff_s: float = 1.0
    timeout_s: float | None = None
    cache: bool = True
    name: str = "postcodes.io"
    field: Literal["postcode", "address"] = "postcode"

    def geocode(self, queries: Sequence[str]) -> Answers:
        policy = Policy(self.min_delay_s, self.retries, self.backoff_s)
        base = self.base_url.rstrip("/")
        timeout = self.timeout_s or settings.options.timeout_s
        with requests.Session() as session:
            if settings.options.user_agent:
                session.headers["User-Agent"] = settings.options.user_agent

            def send(method: str, url: str, **kw: object) -> requests.Response:
                def once() -> requests.Response:
                    try:
                        r = session.request(method, url, timeout=timeout, **kw)  # type: ignore[arg-type]
                    except (requests.Timeout, requests.ConnectionError) as e:
                        raise Retry(f"{type(e).__name__}: {e}") from e
                    if r.status_code == 429 or r.status_code >= 500:
                        raise Retry(f"HTTP {r.status_code}", _retry_after(r))
                    return r

                return policy.call(once)

            def ask(chunk: list[str]) -> dict[str, Answer | None]:
                r = send("POST", f"{base}/postcodes", json={"postcodes": chunk})
                items = _json(r).get("result")
                got: dict[str, Answer | None] = {}
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict) and isinstance(item.get("query"), str):
                        result = item.get("result")
                        got[item["query"]] = (
                            _postcodes_io_answer(result) if isinstance(result, dict) else None
                        )
                for query in chunk:
                    if got.get(query) is None:
                        got[query] = terminated(query)
                return got

            def terminated(query: str) -> Answer | None:
                r = send("GET", f"{base}/terminated_postcodes/{quote(query)}")
                if r.status_code == 404:
                    return None
                result = _json(r).get("result")
                if not isinstance(result, dict) or result.get("latitude") is None:
                    return None
                year, month = result.get("year_terminated"), result.get("month_terminated")
                return Answer(
                    lon=float(result["longitude"]),
                    lat=float(result["latitude"]),
                    precision_m=POSTCODE_UNIT_PRECISION_M,
                    note=f"terminated in {year}-{int(month):02d}" if year and month else None,
                )

            return run(self.name, queries, 100, ask, policy, self.cache)


def _json(r: requests.Response) -> dict[str, object]:
    if r.status_code >= 400:
        raise GiveUp(f"HTTP {r.status_code}: {r.text[:200]}")
    try:
        body = r.json()
    except ValueError as e:
        raise GiveUp(f"the answer was not JSON ({r.text[:80]!r})") from e
    if not isinstance(body, dict):
        raise GiveUp("the answer was not a JSON object")
    return body


def _retry_after(r: requests.Response) -> float | None:
    value = r.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _postcodes_io_answer(result: dict[str, object]) -> Answer | None:
    lon, lat = result.get("longitude"), result.get("latitude")
    if not isinstance(lon, int | float) or not isinstance(lat, int | float):
        return None
    quality = result.get("quality")
    precision = (
        ONSPD_QUALITY.get(quality, POSTCODE_UNIT_PRECISION_M)
        if isinstance(quality, int)
        else POSTCODE_UNIT_PRECISION_M
    )
    if precision is None:
        return None
    return Answer(lon=float(lon), lat=float(lat), precision_m=precision)


# --- geopy ------------------------------------------------------------------------------------


@dataclass
class GeopyProvider:
    """Any geopy geocoder, for addresses: spaced, retried and cached as the others are.

    Parameters
    ----------
    geocoder
        A geopy geocoder (``geopy.geocoders.Photon(...)``, a council's own Nominatim…).
    name
        Written into ``geocode_method`` and keys the cache.
    min_delay_s
        Seconds between two requests, as the service's policy asks.
    query_args
        Passed to the geocoder's ``geocode`` with every query (``country_codes``…).
    retries, backoff_s, cache
        As for :class:`PostcodesIO`.
    bias_to_study_area
        Let :func:`assetmap.geocode` prefer answers inside the study area (as a Nominatim
        ``viewbox``) when ``query_args`` holds none.
    """

    geocoder: Geocoder
    name: str
    min_delay_s: float = 1.0
    query_args: dict[str, object] = field(default_factory=dict)
    retries: int = 4
    backoff_s: float = 1.0
    cache: bool = True
    bias_to_study_area: bool = False
    field: Literal["postcode", "address"] = "address"

    def biased(self, bounds: tuple[float, float, float, float]) -> GeopyProvider:
        """The same provider preferring answers inside (west, south, east, north)."""
        if not self.bias_to_study_area or "viewbox" in self.query_args:
            return self
        west, south, east, north = bounds
        args = {**self.query_args, "viewbox": [(south, west), (north, east)]}
        return replace(self, query_args=args)

    def geocode(self, queries: Sequence[str]) -> Answers:
        policy = Policy(self.min_delay_s, self.retries, self.backoff_s)

        def once(query: str) -> Answer | None:
            try:
                found = self.geocoder.geocode(query, exactly_one=True, **self.query_args)
            except geopy_exc.GeocoderRateLimited as e:
                raise Retry(f"rate limited: {e}", e.retry_after) from e
            except (geopy_exc.GeocoderTimedOut, geopy_exc.GeocoderUnavailable) as e:
                raise Retry(f"{type(e).__name__}: {e}") from e
            except (geopy_exc.GeocoderQueryError, geopy_exc.GeocoderAuthenticationFailure) as e:
                raise GiveUp(f"{type(e).__name__}: {e}") from e
            except geopy_exc.GeocoderServiceError as e:
                raise Retry(f"{type(e).__name__}: {e}") from e
            if found is None:
                return None
            return Answer(
                lon=float(found.longitude),
                lat=float(found.latitude),
                precision_m=_box_precision(found.raw, found.latitude),
            )

        def ask(chunk: list[str]) -> dict[str, Answer | None]:
            return {q: policy.call(lambda q=q: once(q)) for q in chunk}  # type: ignore[misc]

        return run(self.name, queries, 1, ask, policy, self.cache)


def _box_precision(raw: object, lat: float) -> float:
    """Half the diagonal of a Nominatim-style ``boundingbox`` (south, north, west, east)."""
    box = raw.get("boundingbox") if isinstance(raw, dict) else None
    try:
        south, north, west, east = (float(v) for v in box)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return POSTCODE_UNIT_PRECISION_M
    dy = (north - south) * 110_574.0
    dx = (east - west) * 111_320.0 * math.cos(math.radians(lat))
    return max(round(math.hypot(dx, dy) / 2, 0), 10.0)


def Nominatim(
    *,
    user_agent: str | None = None,
    domain: str = _PUBLIC_NOMINATIM,
    scheme: str = "https",
    country: str | None = "gb",
    viewbox: tuple[float, float, float, float] | None = None,
    min_delay_s: float = 1.0,
    retries: int = 4,
    backoff_s: float = 1.0,
    timeout_s: float | None = None,
    cache: bool = True,
) -> GeopyProvider:
    """OpenStreetMap's Nominatim through geopy, for rows with only an address.

    Parameters
    ----------
    user_agent
        Who you are (an application name and a contact): Nominatim's usage policy requires it.
        :attr:`assetmap.settings.Options.user_agent` when None.
    domain, scheme
        The service: the public one, or your own.
    country
        Restrict answers to this country (ISO 3166-1 alpha-2); None for anywhere.
    viewbox
        Prefer answers inside (west, south, east, north) degrees; :func:`assetmap.geocode`
        sets it to the study area when not given.
    min_delay_s
        Seconds between requests: at least 1 on the public service, as its policy says.

    Raises
    ------
    ConfigurationError
        Without a user agent, or asked to send more than one request a second to the public
        service.
    """
    agent = user_agent or settings.options.user_agent
    if not agent:
        raise ConfigurationError(
            "Nominatim's usage policy requires a user agent that names your application and "
            "a contact: Nominatim(user_agent='asset-map (me@example.org)') or "
            "assetmap.set_option(user_agent='asset-map (me@example.org)')"
        )
    if domain == _PUBLIC_NOMINATIM and min_delay_s < 1.0:
        raise ConfigurationError(
            f"the public Nominatim allows one request a second; min_delay_s={min_delay_s} "
            "is too fast (run your own Nominatim for more)"
        )
    query_args: dict[str, object] = {}
    if country:
        query_args["country_codes"] = country
    if viewbox is not None:
        west, south, east, north = viewbox
        query_args["viewbox"] = [(south, west), (north, east)]
    geocoder = _GeopyNominatim(
        user_agent=agent,
        domain=domain,
        scheme=scheme,
        timeout=timeout_s or settings.options.timeout_s,
    )
    return GeopyProvider(
        geocoder=geocoder,
        name="nominatim",
        min_delay_s=min_delay_s,
        query_args=query_args,
        retries=retries,
        backoff_s=backoff_s,
        cache=cache,
        bias_to_study_area=viewbox is None,
    )
