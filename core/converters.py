"""URL converters: an id in a path is a database id, or the URL names nothing (404), never an overflow."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

#: the largest value of PostgreSQL's `integer`, the type of every id column; SQLite stores the same ids
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` bounded to 1..MAX_DATABASE_ID: a larger or zero id matches no route, so it is a 404.

    The bounds are the converter's own, so the OpenAPI document states them too (minimum, maximum).
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


def register_converters(url_map: Map) -> None:
    """Replace the default `int` converter before any route is added, so every `<int:id>` is bounded."""
    url_map.converters["int"] = DatabaseIdConverter
