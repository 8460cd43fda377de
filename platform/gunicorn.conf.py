"""Gunicorn settings for the Peerbench web process: `gunicorn -c platform/gunicorn.conf.py wsgi:app`.

Everything a deployment tunes comes from the environment (PORT, WEB_CONCURRENCY, WEB_THREADS, WEB_TIMEOUT,
FORWARDED_ALLOW_IPS); the application's own settings are read by core/settings.py, not here. The access log
names the method, the path and the status, never a query string, a referrer or a header, and paths that carry
a secret (invitation links, public poll links) are shortened to their prefix.
"""

from __future__ import annotations

import multiprocessing
import os
import re

from gunicorn.glogging import Logger

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# CPU-bound work (uploads, recompute, PDFs) runs in RQ workers; web workers mostly wait on PostgreSQL
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)  # an upload of MAX_UPLOAD_MB over a slow link included
graceful_timeout = 30
keepalive = 5
# recycle workers now and then so that a slow leak in any library never grows without bound
max_requests = 5000
max_requests_jitter = 500
# each worker builds its own app (and database pool) after the fork: nothing pooled crosses processes
preload_app = False
# the reverse proxy in front terminates TLS; trust its X-Forwarded-Proto only from these addresses
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
limit_request_line = 8190
limit_request_fields = 100
# the process manager (compose, systemd, the platform) starts and stops us; no runtime control socket in $HOME
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'

_SECRET_PATHS = re.compile(r"^/(invitations|p)/[^/?]+")


class RedactingLogger(Logger):
    """Gunicorn's logger with the request line reduced to method, redacted path and protocol."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def] - gunicorn's signature
        atoms = super().atoms(resp, req, environ, request_time)
        path = _SECRET_PATHS.sub(r"/\1/[redacted]", environ.get("PATH_INFO") or "/")
        atoms.update(r=f"{atoms['m']} {path} {atoms['H']}", U=path, q="", f="-")
        return atoms


logger_class = RedactingLogger
