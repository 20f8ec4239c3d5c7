"""Entry point for a production server: gunicorn wsgi:app."""

from crm import create_app

app = create_app()
