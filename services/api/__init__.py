"""The HTTP command API (FastAPI): `services.api.app.create_app`."""
