"""Online geocoders, used only when asked for: postcodes.io and geopy's geocoders (Nominatim).

Only postcode and address text ever leaves the machine: never a name, a description or any
other field of a register. Every valid answer is kept in an on-disk cache, keyed by the service
(provider name, base URL and query parameters) and the query, so that nothing is asked twice and
a run that was killed resumes where it stopped; see :mod:`assetmap.geocoding._cache` for where it
is and what it holds, and :func:`assetmap.geocoding.cache_info` /
:func:`assetmap.geocoding.clear_cache` (``assetmap cache info|clear``) to see and empty it.

What is cached: answers checked to be a place (coordinates in range, and inside the service's
country where it has one: the UK and Crown dependencies for postcodes.io, the country asked of
Nominatim when that is ``gb``), and "not known" only when the service said so (postcodes.io's
"postcode not found", an empty Nominatim search), forgotten after
:attr:`assetmap.settings.Options.unknown_expire_days`. Failures and invalid answers are never
cached: the queries are asked again next run, and the rows say why in ``geocode_note``.

Requests are spaced as each provider's policy asks (Nominatim: one a second, with a real user
agent), also across processes sharing the cache, and retried with exponential backoff on
timeouts, dropped connections, 429 and 5xx, waiting as ``Retry-After`` says (seconds or a date);
a wait longer than :attr:`assetmap.settings.Options.max_wait_s` stops that provider for the run.
Nothing below retries on its own (geopy's and urllib3's retries are off).

Owns the :class:`Provider` protocol and the providers; the client, spacing, retries and batch
loop they share live in ``_http``, the cache in ``_cache``.

Examples
--------
Councils that host postcodes.io themselves point it at their own server::

    from assetmap import geocode
    from assetmap.geocoding.providers import Nominatim, PostcodesIO

    placed = geocode(register, online=[PostcodesIO("https://postcodes.example.gov.uk"),
                                       Nominatim(user_agent="asset-map (me@example.org)")])
"""

from __future__ import annotations

import copy
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

from geopy import exc as geopy_exc
from geopy.adapters import BaseSyncAdapter
from geopy.geocoders import Nominatim as _GeopyNominatim
from geopy.geocoders.base import Geocoder

from .. import settings
from ..errors import ConfigurationError
from ._http import Answer, Answers, Client, GiveUp, Service, Stop, run
from ._tables import POSTCODE_UNIT_PRECISION_M
from .postcode_files import ONSPD_QUALITY

__all__ = [
    "UK_BOUNDS",
    "Answer",
    "Answers",
    "GeopyProvider",
    "Nominatim",
    "PostcodesIO",
    "Provider",
]

_PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"

#: (west, south, east, north) degrees around the UK, the Isle of Man and the Channel Islands:
#: where postcodes.io may place a postcode.
UK_BOUNDS = (-8.75, 49.1, 1.85, 60.9)

_COUNTRY_BOUNDS = {"gb": UK_BOUNDS}

Bounds = tuple[float, float, float, float]


class Provider(Protocol):
    """An online geocoder."""

    @property
    def name(self) -> str:
        """Written into ``geocode_method`` for the rows it places (and names it in the cache)."""
        ...

    @property
    def field(self) -> Literal["postcode", "address"]:
        """What it looks up: canonical postcodes, or address text."""
        ...

    def geocode(self, queries: Sequence[str]) -> Answers:
        """Answer each distinct query, from the cache where it can."""
        ...


def _not_a_place(lon: object, lat: object, bounds: Bounds | None) -> str | None:
    """Why (lon, lat) cannot be taken as an answer, or None when it can."""
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        return f"its coordinates {lon!r}, {lat!r} are not numbers"
    x, y = float(lon), float(lat)  # type: ignore[arg-type]
    if not (math.isfinite(x) and math.isfinite(y) and -90 <= y <= 90 and -180 <= x <= 180):
        return f"longitude {x:g}, latitude {y:g} is not a place on Earth"
    if bounds is not None:
        west, south, east, north = bounds
        if not (west <= x <= east and south <= y <= north):
            return f"longitude {x:g}, latitude {y:g} is outside the country the service covers"
    return None


def _invalid(problem: str) -> str:
    return f"the service's answer is not a place ({problem}); not cached, asked again next run"


# --- postcodes.io --------------------------------------------------------------------------

# postcodes.io's own words when it does not know a postcode (404 bodies)
_NOT_FOUND = re.compile(r"postcode not found|invalid postcode", re.IGNORECASE)


def _same_postcode(a: object, b: str) -> bool:
    return isinstance(a, str) and a.replace(" ", "").upper() == b.replace(" ", "").upper()


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
        How many times to retry a failed request, and the first wait (doubled each time)
        when the service names none.
    timeout_s
        Seconds to wait for an answer; :attr:`assetmap.settings.Options.timeout_s` when None.
    cache
        Keep answers on disk (see the module's text).
    bounds
        (west, south, east, north) degrees an answer must lie in; None for anywhere.
    """

    base_url: str = "https://api.postcodes.io"
    min_delay_s: float = 0.1
    retries: int = 4
    backoff_s: float = 1.0
    timeout_s: float | None = None
    cache: bool = True
    name: str = "postcodes.io"
    field: Literal["postcode", "address"] = "postcode"
    bounds: Bounds | None = UK_BOUNDS

    def geocode(self, queries: Sequence[str]) -> Answers:
        base = self.base_url.rstrip("/")
        client = Client(
            host=urlsplit(base).netloc,
            min_delay_s=self.min_delay_s,
            retries=self.retries,
            backoff_s=self.backoff_s,
            timeout_s=self.timeout_s or settings.options.timeout_s,
            user_agent=settings.options.user_agent,
        )
        service = Service(self.name, base, {"bounds": self.bounds}, self.cache)
        return run(service, queries, 100, self._ask, client)

    def _ask(self, chunk: list[str], client: Client, part: Answers) -> None:
        base = self.base_url.rstrip("/")
        missing = list(chunk)
        for _ in range(2):  # a bulk answer that leaves some out: those are asked once more
            reply = client.request(
                "POST", f"{base}/postcodes", body={"postcodes": missing}, parse=True
            )
            if reply.status >= 400:
                raise GiveUp(f"HTTP {reply.status}: {reply.text[:200]}")
            items = reply.data.get("result") if isinstance(reply.data, dict) else None
            if not isinstance(items, list):
                raise GiveUp(f"the answer held no list of results ({reply.text[:80]!r})")
            asked, answered, unknown = set(missing), set(), []
            for item in items:
                query = item.get("query") if isinstance(item, dict) else None
                if not isinstance(query, str) or query not in asked or query in answered:
                    continue
                answered.add(query)
                result = item.get("result")
                if result is None:
                    unknown.append(query)  # not current: perhaps terminated
                elif not isinstance(result, dict) or not _same_postcode(
                    result.get("postcode"), query
                ):
                    part.failed[query] = _invalid(
                        f"an answer for another postcode: {result!r}"[:200]
                    )
                else:
                    self._settle(query, result, part, terminated=False)
            for query in unknown:
                self._terminated(query, client, part)
            missing = [q for q in missing if q not in answered]
            if not missing:
                return
        for query in missing:
            part.failed[query] = "the service's answers left it out, twice"

    def _terminated(self, query: str, client: Client, part: Answers) -> None:
        base = self.base_url.rstrip("/")
        try:
            reply = client.request("GET", f"{base}/terminated_postcodes/{quote(query)}", parse=True)
        except Stop:
            raise
        except GiveUp as why:
            part.failed[query] = str(why)
            return
        error = reply.data.get("error") if isinstance(reply.data, dict) else None
        if reply.status == 404 and isinstance(error, str) and _NOT_FOUND.search(error):
            part.found[query] = None  # the service says it does not know it
        elif reply.status >= 400:
            part.failed[query] = f"HTTP {reply.status}: {reply.text[:120]}"
        else:
            result = reply.data.get("result") if isinstance(reply.data, dict) else None
            if isinstance(result, dict) and _same_postcode(result.get("postcode"), query):
                self._settle(query, result, part, terminated=True)
            else:
                part.failed[query] = _invalid(f"no terminated postcode in {reply.text[:80]!r}")

    def _settle(
        self, query: str, result: dict[str, Any], part: Answers, *, terminated: bool
    ) -> None:
        lon, lat = result.get("longitude"), result.get("latitude")
        precision: float | None = POSTCODE_UNIT_PRECISION_M
        quality = result.get("quality")
        if isinstance(quality, int) and not isinstance(quality, bool):
            precision = ONSPD_QUALITY.get(quality, POSTCODE_UNIT_PRECISION_M)
        if (lon is None and lat is None) or precision is None:
            part.found[query] = None  # a postcode the service knows has no position
            return
        problem = _not_a_place(lon, lat, self.bounds)
        if problem:
            part.failed[query] = _invalid(problem)
            return
        note = None
        if terminated:
            year, month = result.get("year_terminated"), result.get("month_terminated")
            if isinstance(year, int) and isinstance(month, int) and 1 <= month <= 12:
                note = f"terminated in {year}-{month:02d}"
            else:
                note = "terminated"
        part.found[query] = Answer(float(lon), float(lat), precision, note)  # type: ignore[arg-type]


# --- geopy ------------------------------------------------------------------------------------


class _Adapter(BaseSyncAdapter):  # type: ignore[misc]
    """geopy's HTTP layer replaced by our :class:`Client` (spaced, retried once, cached)."""

    def __init__(self, client: Client) -> None:  # no proxies or TLS context of its own
        self.client = client

    def get_json(self, url: str, *, timeout: float | None, headers: dict[str, str]) -> Any:
        reply = self.client.request("GET", url, headers=headers, timeout_s=timeout, parse=True)
        if reply.status >= 400:
            raise GiveUp(f"HTTP {reply.status}: {reply.text[:200]}")
        return reply.data

    def get_text(self, url: str, *, timeout: float | None, headers: dict[str, str]) -> str:
        reply = self.client.request("GET", url, headers=headers, timeout_s=timeout)
        if reply.status >= 400:
            raise GiveUp(f"HTTP {reply.status}: {reply.text[:200]}")
        return reply.text


@dataclass
class GeopyProvider:
    """Any geopy geocoder, for addresses: spaced, retried and cached as the others are.

    The geocoder's own HTTP adapter is not used: requests go through assetmap's client, so
    nothing retries behind the spacing.

    Parameters
    ----------
    geocoder
        A geopy geocoder (``geopy.geocoders.Photon(...)``, a council's own Nominatim…).
    name
        Written into ``geocode_method`` and names it in the cache.
    min_delay_s
        Seconds between two requests, as the service's policy asks.
    query_args
        Passed to the geocoder's ``geocode`` with every query (``country_codes``…).
    retries, backoff_s, cache
        As for :class:`PostcodesIO`.
    bias_to_study_area
        Let :func:`assetmap.geocode` prefer answers inside the study area (as a Nominatim
        ``viewbox``) when ``query_args`` holds none.
    bounds
        (west, south, east, north) degrees an answer must lie in; None for anywhere.
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
    bounds: Bounds | None = None

    def biased(self, bounds: tuple[float, float, float, float]) -> GeopyProvider:
        """The same provider preferring answers inside (west, south, east, north)."""
        if not self.bias_to_study_area or "viewbox" in self.query_args:
            return self
        west, south, east, north = bounds
        args = {**self.query_args, "viewbox": [(south, west), (north, east)]}
        return replace(self, query_args=args)

    def geocode(self, queries: Sequence[str]) -> Answers:
        coder = copy.copy(self.geocoder)  # the caller's geocoder keeps its own adapter
        api = getattr(coder, "api", None)
        if not isinstance(api, str):
            api = f"{getattr(coder, 'scheme', 'https')}://{getattr(coder, 'domain', '')}"
        timeout = getattr(coder, "timeout", None)
        proxies = getattr(coder, "proxies", None)
        client = Client(
            proxies=proxies if isinstance(proxies, dict) and proxies else None,
            host=urlsplit(api).netloc,
            min_delay_s=self.min_delay_s,
            retries=self.retries,
            backoff_s=self.backoff_s,
            timeout_s=float(timeout) if isinstance(timeout, int | float) else 30.0,
        )
        coder.adapter = _Adapter(client)
        base = f"{type(coder).__module__}.{type(coder).__qualname__} {api}"
        params = {**self.query_args, "bounds": self.bounds}
        service = Service(self.name, base, params, self.cache)

        def ask(chunk: list[str], client: Client, part: Answers) -> None:
            for query in chunk:
                self._one(coder, query, part)

        return run(service, queries, 1, ask, client)

    def _one(self, coder: Geocoder, query: str, part: Answers) -> None:
        try:
            with warnings.catch_warnings():  # geopy warns before it refuses latitude 204
                warnings.filterwarnings("ignore", "Latitude normalization", UserWarning)
                found = coder.geocode(query, exactly_one=True, **self.query_args)
        except Stop:
            raise
        except GiveUp as why:
            part.failed[query] = str(why)
            return
        except geopy_exc.GeopyError as e:
            part.failed[query] = f"{type(e).__name__}: {e}"
            return
        except (ValueError, TypeError, KeyError, AttributeError) as e:  # geopy read no place
            part.failed[query] = _invalid(f"{type(e).__name__}: {e}")
            return
        if found is None:
            part.found[query] = None  # an empty result: the service does not know it
            return
        problem = _not_a_place(found.longitude, found.latitude, self.bounds)
        if problem:
            part.failed[query] = _invalid(problem)
            return
        part.found[query] = Answer(
            lon=float(found.longitude),
            lat=float(found.latitude),
            precision_m=_box_precision(found.raw, found.latitude),
        )


def _box_precision(raw: object, lat: float) -> float:
    """Half the diagonal of a Nominatim-style ``boundingbox`` (south, north, west, east)."""
    box = raw.get("boundingbox") if isinstance(raw, dict) else None
    try:
        south, north, west, east = (float(v) for v in box)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return POSTCODE_UNIT_PRECISION_M
    dy = (north - south) * 110_574.0
    dx = (east - west) * 111_320.0 * math.cos(math.radians(lat))
    if not math.isfinite(dx) or not math.isfinite(dy):
        return POSTCODE_UNIT_PRECISION_M
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
    bounds: Bounds | None = None,
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
    bounds
        (west, south, east, north) degrees an answer must lie in; for ``country="gb"``
        :data:`UK_BOUNDS` when None.

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
        bounds=bounds if bounds is not None else _COUNTRY_BOUNDS.get((country or "").lower()),
    )
