"""WSGI entry point: `gunicorn app:app` (configuration in gunicorn.conf.py)."""

from dashboard import create_app

app = create_app()
