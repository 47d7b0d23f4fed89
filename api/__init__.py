"""The edge: the FastAPI app, routers by audience, auth, the CLI and the composition root."""
