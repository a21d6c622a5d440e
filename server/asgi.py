"""Entry point for uvicorn workers: settings come from the environment."""

from server.app import create_app

app = create_app()
