"""Marshmallow fields shared by every API schema: input bounded to what the database and Python can hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields

#: the instants an API accepts: far enough for any deadline, near enough for every conversion to succeed
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class BoundedDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time between 2000-01-01 and 2100-01-01 UTC, loaded as UTC (no offset: UTC).

    Without the bounds a valid-looking `0001-01-01T07:17:19+22:20` overflows when it is converted to UTC.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault(
            "description", f"ISO 8601, between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC if no offset)"
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            loaded = super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)
        except (OverflowError, ValueError) as error:
            raise ValidationError(self._range_message()) from error
        if not EARLIEST <= loaded <= LATEST:
            raise ValidationError(self._range_message())
        return loaded

    @staticmethod
    def _range_message() -> str:
        return f"Not a date-time between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}."
