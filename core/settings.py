"""Typed settings read once from the environment, with safe defaults. Nothing else reads os.environ."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    return int(value) if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    migrations_database_url: str  # the owner role that runs migrations; defaults to database_url
    redis_url: str | None
    secret_key: str
    secret_key_generated: bool
    ratelimit_enabled: bool = True
    cookie_secure: bool = True
    max_upload_bytes: int = 50 * 1024 * 1024
    job_timeout_seconds: int = 1800
    job_retries: int = 3
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_price_pro: str | None = None
    stripe_price_consultancy: str | None = None
    stripe_api_base: str | None = None
    billing_grace_days: int = 14
    base_url: str = "http://127.0.0.1:5000"
    proxy_hops: int = 0  # reverse proxies in front of the app whose X-Forwarded-* headers are trusted
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def billing_enabled(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def storage_path(self) -> Path:
        return self.instance_path / "files"

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        known = {k: v for k, v in overrides.items() if k in self.__dataclass_fields__}
        settings = replace(self, **known)
        if "database_url" in known and "migrations_database_url" not in known:
            settings = replace(settings, migrations_database_url=known["database_url"])
        return settings


def _default_instance_path() -> Path:
    return Path.cwd() / "instance"


def _secret_key(instance_path: Path, configured: str | None) -> tuple[str, bool]:
    """The configured key, else one generated once and kept in the instance folder (embedded default)."""
    if configured:
        return configured, False
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip(), True
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key, True


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    instance_path = Path(env.get("PEERBENCH_INSTANCE_PATH") or _default_instance_path()).resolve()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'peerbench.db'}"
    secret_key, generated = _secret_key(instance_path, env.get("SECRET_KEY"))
    return Settings(
        instance_path=instance_path,
        database_url=database_url,
        migrations_database_url=env.get("MIGRATIONS_DATABASE_URL") or database_url,
        redis_url=env.get("REDIS_URL") or None,
        secret_key=secret_key,
        secret_key_generated=generated,
        ratelimit_enabled=_bool(env.get("RATELIMIT_ENABLED"), True),
        cookie_secure=_bool(env.get("COOKIE_SECURE"), True),
        max_upload_bytes=_int(env.get("MAX_UPLOAD_MB"), 50) * 1024 * 1024,
        job_timeout_seconds=_int(env.get("JOB_TIMEOUT_SECONDS"), 1800),
        job_retries=_int(env.get("JOB_RETRIES"), 3),
        stripe_secret_key=env.get("STRIPE_SECRET_KEY") or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_price_pro=env.get("STRIPE_PRICE_PRO") or None,
        stripe_price_consultancy=env.get("STRIPE_PRICE_CONSULTANCY") or None,
        stripe_api_base=env.get("STRIPE_API_BASE") or None,
        billing_grace_days=_int(env.get("BILLING_GRACE_DAYS"), 14),
        base_url=(env.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        proxy_hops=_int(env.get("PROXY_HOPS"), 0),
    )
