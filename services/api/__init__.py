"""The HTTP API (FastAPI): routes, dependencies and problem details."""
