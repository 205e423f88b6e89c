"""``tenure serve``: run the web app."""

from __future__ import annotations

import typer

from tenure.cli import context


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default 127.0.0.1)."
    ),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default 8000)."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="Server processes. One suits SQLite; with PostgreSQL, one per core serves more "
        "people at once.",
    ),
) -> None:
    """Serve the web app on http://HOST:PORT (the store is migrated first)."""
    import uvicorn

    from tenure.web.app import create_app

    settings = context.settings()
    eng = context.engine(settings)
    bind_host = host or settings.server.host
    bind_port = port or settings.server.port
    context.console.print(f"Tenure is serving http://{bind_host}:{bind_port} (Ctrl+C stops it)")
    if workers > 1:  # each process builds its own app from the same settings
        eng.dispose()
        uvicorn.run(
            "tenure.web.app:app_from_settings",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_level="warning",
        )
        return
    uvicorn.run(create_app(eng, settings), host=bind_host, port=bind_port, log_level="warning")
