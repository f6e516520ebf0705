"""Headers every response carries (a content security policy with no inline script, no framing,
no sniffing, no referrer beyond this site), and the API docs served without any CDN."""

from __future__ import annotations

from collections.abc import Sequence

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.policy import PUBLIC, declared


def headers(form_targets: Sequence[str] = ()) -> list[tuple[bytes, bytes]]:
    """The headers; `form_targets`: origins besides this one a form's answer may lead to (the
    identity provider, where signing out ends the session there too: browsers hold a form's
    redirects to `form-action`)."""
    # Inline styles are allowed (the pages' bars and the docs set widths inline); scripts never are.
    policy = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *form_targets]),
            "object-src 'none'",
        ]
    )
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]


DOCS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>grantflow API</title>
<link rel="stylesheet" href="/static/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/docs/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script></body></html>
"""


class SecurityHeaders:
    """Adds HEADERS to every HTTP response (plain ASGI: no thread or task per request)."""

    def __init__(self, app: ASGIApp, form_targets: Sequence[str] = ()) -> None:
        self.app = app
        self.headers = headers(form_targets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI, form_targets: Sequence[str] = ()) -> None:
    """The security headers, and /docs from files the service itself serves."""
    app.add_middleware(SecurityHeaders, form_targets=form_targets)
    app.mount("/static/docs", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs")

    @app.get(
        "/docs",
        include_in_schema=False,
        response_class=HTMLResponse,
        openapi_extra=declared(PUBLIC),
    )
    def docs() -> str:
        return DOCS
