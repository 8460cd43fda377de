"""Billing on or off: with no Stripe keys (self-hosted) billing pages and endpoints do not exist (404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    current_app,
)

from core.app import settings_of
from core.errors import NotFound
from core.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def billing_settings() -> Settings:
    """The app's settings when billing is on; NotFound (404) in self-hosted mode."""
    settings = settings_of(current_app)
    if not settings.billing_enabled:
        raise NotFound("Not found.")
    return settings


def billing_on(view: F) -> F:
    """Billing pages and endpoints do not exist with billing off: 404 before any login or role check."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        billing_settings()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
