"""The composition root for gunicorn and `flask --app wsgi`."""

from core.app import create_app

app = create_app()
