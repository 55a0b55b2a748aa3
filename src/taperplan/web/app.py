"""The ASGI app: the page, the JSON API, the OpenAPI document and the CDS Hooks service.

:func:`create_app` builds a Starlette app that stores nothing: every request carries what
it needs (a regimen, or a plan document), and every answer carries a strict
Content-Security-Policy. Serve it with ``taperplan serve`` (uvicorn, loopback by default).
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taperplan._data import data_text
from taperplan.web import api, cds, page
from taperplan.web.openapi import openapi_document

#: Headers on every answer: no script, no frames, no outside resources, nothing cached.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _stylesheet(_: Request) -> Response:
    return Response(data_text("web/app.css"), media_type="text/css; charset=utf-8")


async def _openapi(_: Request) -> Response:
    return JSONResponse(openapi_document())


async def _home(request: Request) -> Response:
    if "regimen" in request.query_params:
        return page.page_with(request)
    return page.page(request)


def create_app(**_: Any) -> Starlette:
    """The web app (``taperplan serve`` runs it with uvicorn)."""
    routes = [
        Route("/", _home, methods=["GET"], name="home"),
        Route("/plan", page.plan_page, methods=["POST"]),
        Route("/visit", page.visit_page, methods=["POST"]),
        Route("/download/{name}", page.download, methods=["POST"]),
        Route("/static/app.css", _stylesheet, methods=["GET"]),
        Route("/api/v1/openapi.json", _openapi, methods=["GET"]),
        *api.routes(),
        *cds.routes(),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders)
    return app
