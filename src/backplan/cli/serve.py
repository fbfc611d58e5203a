"""``backplan serve``: the web app for real deployments, configured by the environment."""

from __future__ import annotations

import typer

from backplan.cli.output import console
from backplan.config import Settings, get_settings


def run_server(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from backplan.web import create_app

    app = create_app(settings)
    console.print(f"backplan is serving on [bold]http://{host}:{port}/[/] (Ctrl+C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


def serve(
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Server processes (one per core serves most)."
    ),
) -> None:
    """Serve the web app. Settings come from BACKPLAN_* variables (see docs/web.md)."""
    if workers == 1:
        run_server(get_settings(), host, port)
        return
    import uvicorn

    console.print(f"backplan is serving on [bold]http://{host}:{port}/[/] with {workers} workers")
    uvicorn.run(
        "backplan.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        server_header=False,
    )


def register(app: typer.Typer) -> None:
    app.command()(serve)
