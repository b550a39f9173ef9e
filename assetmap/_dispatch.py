"""The one hand-off of dask collections to :mod:`assetmap.scale`.

A stage that also runs on dask is decorated with :func:`dask_aware`: given a pandas or geopandas
frame it runs as written; given a dask collection it calls the twin that :mod:`assetmap.scale`
registered for it with :func:`register_twin`, with the same arguments. The twin's signature is
checked against the stage's by mypy (both share the stage's parameters), so no option is lost
on the way. Nothing here imports dask.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from .errors import ConfigurationError

__all__ = ["dask_aware", "is_dask", "register_twin"]

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F")

_TWINS: dict[str, Callable[..., Any]] = {}


def is_dask(frame: Any) -> bool:
    """Whether ``frame`` is a dask collection (dask or dask-geopandas DataFrame).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask(pd.DataFrame({"a": [1]}))
    False
    """
    return type(frame).__module__.split(".")[0] in ("dask", "dask_geopandas") and hasattr(
        frame, "npartitions"
    )


def _key(stage: Callable[..., Any]) -> str:
    return f"{stage.__module__}.{stage.__qualname__}"


def dask_aware(stage: Callable[Concatenate[F, P], R]) -> Callable[Concatenate[F, P], R]:
    """Run ``stage`` as written on in-memory frames, and its registered twin on dask ones."""

    @functools.wraps(stage)
    def run(data: F, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if is_dask(data):
            twin = _TWINS.get(_key(stage))
            if twin is None:  # pragma: no cover - assetmap/__init__ imports assetmap.scale
                raise ConfigurationError(
                    f"{stage.__name__} has no dask version: compute the frame first"
                )
            return twin(data, *args, **kwargs)  # type: ignore[no-any-return]
        return stage(data, *args, **kwargs)

    return run


def register_twin(
    stage: Callable[Concatenate[Any, P], Any], twin: Callable[Concatenate[Any, P], Any]
) -> None:
    """Make ``twin`` run in place of ``stage`` when ``stage`` is given a dask collection."""
    _TWINS[_key(stage)] = twin
