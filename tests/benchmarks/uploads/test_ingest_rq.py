"""The production path: uploads queued on the real Redis, validated and recomputed by a real RQ worker."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from benchmarks.engine.models import BenchmarkSnapshot
from benchmarks.metrics.models import MetricValue
from core.app import create_app
from core.jobs import QUEUE_NAME
from tenants.dimensions import Industry
from tenants.roles import Role

REDIS_URL = os.environ.get("PEERBENCH_TEST_REDIS_INGEST", "redis://127.0.0.1:6379/14")
pytestmark = pytest.mark.redis


@pytest.fixture
def queue_redis():
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError as exc:  # fail, never skip: scripts/test starts Redis
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def rq_app(app, app_config, queue_redis):
    # created after `app`: the job runner is per process, and this app configures it for RQ
    return create_app({**app_config, "redis_url": REDIS_URL})


def run_worker(app_config) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": str(app_config["database_url"]),
        "MIGRATIONS_DATABASE_URL": str(app_config["migrations_database_url"]),
        "PEERBENCH_INSTANCE_PATH": str(app_config["instance_path"]),
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_ENABLED": "false",
    }
    script = Path(sys.executable).parent / "peerbench"
    return subprocess.run(
        [str(script), "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_uploads_are_processed_by_a_worker_and_recomputed_incrementally(
    rq_app, app_config, make_org, token_for, queue_redis, stored
):
    client = rq_app.test_client()
    orgs = [make_org(f"Shop {i}", industry=Industry.RETAIL) for i in range(5)]
    ids = []
    for i, org in enumerate(orgs):
        body = f"period,metric,value\n2026-07,fcr_rate,{60 + i}\n".encode()
        response = client.post(
            f"/api/v1/orgs/{org.slug}/submissions",
            headers=token_for(org, Role.ANALYST),
            data={"file": (io.BytesIO(body), "m.csv"), "kind": "metrics"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 202
        assert response.get_json()["status"] == "received"  # queued, not yet processed
        ids.append((org, response.get_json()["id"]))
    assert stored(select(MetricValue)) == []
    assert queue_redis.llen(f"rq:queue:{QUEUE_NAME}") == 5

    result = run_worker(app_config)
    assert result.returncode == 0, result.stderr[-3000:]

    for org, submission_id in ids:
        detail = client.get(
            f"/api/v1/orgs/{org.slug}/submissions/{submission_id}", headers=token_for(org, Role.VIEWER)
        ).get_json()
        assert detail["status"] == "accepted"
        assert detail["progress"] == 1.0
    assert len(stored(select(MetricValue))) == 5
    cell = stored(
        select(BenchmarkSnapshot).where(
            BenchmarkSnapshot.metric == "fcr_rate",
            BenchmarkSnapshot.window_code == "2026-Q3",
            BenchmarkSnapshot.cohort_key == "industry=retail;size=*;region=*",
        )
    )
    assert [(c.n, c.median) for c in cell] == [(5, 62.0)]
    # each accepted upload queued the recompute of what it changed; none queued a full recompute
    log = result.stderr + result.stdout
    assert log.count("peerbench: benchmarks.engine.jobs.recompute_upload(") == 5, log[-3000:]
    assert log.count("peerbench: benchmarks.engine.jobs.recompute()") == 0, log[-3000:]
