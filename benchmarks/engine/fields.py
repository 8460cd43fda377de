"""Marshmallow fields for the engine's values: a window code and a cohort parameter."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from benchmarks.engine.cohorts import parse_cohort_param
from benchmarks.engine.windows import Window

_YEAR = r"(19\d{2}|[2-9]\d{3})"  # MIN_YEAR..MAX_YEAR of benchmarks.engine.windows
WINDOW_PATTERN = rf"^{_YEAR}-Q[1-4]$|^T12M-{_YEAR}-(0[1-9]|1[0-2])$"


class WindowField(fields.String):
    """`2026-Q3` or `T12M-2026-09`, loaded as a Window; the OpenAPI document carries the pattern."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("pattern", WINDOW_PATTERN)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Window:
        try:
            return Window.parse(str(value))
        except ValueError as error:
            raise ValidationError(str(error)) from error


class CohortField(fields.String):
    """The dimensions to match, comma-separated (`industry,size`), or `all`.

    A `load_default` is given as the parameter's text (`"industry"`) and loaded like a sent value, so an
    omitted parameter gives the view a level, never the bare string.
    """

    def __init__(self, *, load_default: str | None = None, **kwargs: Any) -> None:
        if load_default is not None:
            level = parse_cohort_param(load_default)  # a wrong default fails at import, not on a request
            kwargs["load_default"] = lambda: level
            kwargs.setdefault("metadata", {}).setdefault("default", load_default)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return parse_cohort_param(str(value))
        except ValueError as error:
            raise ValidationError(str(error)) from error
