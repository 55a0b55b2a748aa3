"""``taperplan serve``: the web page, the JSON API and the CDS Hooks service on this
machine (the ``web`` extra: Starlette and uvicorn).

Loopback by default; nothing is stored and uvicorn's access log is off, so no request
(and no regimen in a link) is written anywhere.
"""

from __future__ import annotations

import click

from taperplan.cli.terminal import echo
from taperplan.cli.types import Usage
from taperplan.errors import MissingDependencyError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(min=1, max=65535),
    default=8000,
    show_default=True,
    help="The port.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=1,
    show_default=True,
    help="Worker processes (each plans on its own core).",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web page, the JSON API and the CDS Hooks service.

    The page is at http://HOST:PORT/ (the embedded sample regimen filled in),
    the API under /api/v1 (its OpenAPI document at /api/v1/openapi.json) and the
    CDS Hooks discovery at /cds-services. Nothing is stored or logged. Put it
    behind a reverse proxy with TLS before anyone else reaches it (docs/howto-web.md).

    \b
    Examples:
      taperplan serve
      taperplan serve --port 8080 --workers 2
    """
    try:
        import uvicorn  # noqa: PLC0415 - the web extra, only for this command

        import taperplan.web.app  # noqa: F401, PLC0415 - checks Starlette is there too
    except ImportError as error:
        raise MissingDependencyError(error.name or "starlette", "web", "taperplan serve") from None
    if host not in {"127.0.0.1", "localhost", "::1"}:
        echo(
            f"taperplan: warning: listening on {host}: other machines can reach this server; "
            "serve it behind a reverse proxy with TLS (docs/howto-web.md)",
            err=True,
        )
    echo(f"taperplan: serving on http://{host}:{port}/ (Ctrl+C stops it)", err=True)
    try:
        uvicorn.run(
            "taperplan.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_level="warning",
        )
    except OSError as error:
        raise Usage(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
