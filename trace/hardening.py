"""What every response says to browsers, and how big a request may be.

Two pure ASGI middlewares, in the pattern of ``trace.text_guard``: they refuse or amend
before and after any route, so every present and future route, static file, error page
and redirect gets the same treatment without a line of its own.

- ``BodyLimit`` refuses a body over ``TRACE_MAX_BODY_BYTES`` with 413 ``body_too_large``,
  whether the client announced it (``Content-Length``) or streamed it (chunked): the body
  is read up to the limit before the app sees any of it, so a refused request never
  reaches a service and cannot leave half a record behind.
- ``SecurityHeaders`` puts a Content-Security-Policy without inline script,
  ``nosniff``, a referrer policy and ``frame-ancestors``/``X-Frame-Options`` on every
  response, HSTS on those that came over HTTPS, and ``charset=utf-8`` on JSON so a
  terminal shows Chinese as it is. ``secure_every_response`` wraps it around the whole
  stack, outside Starlette's error middleware, so even a 500 carries the headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trace.errors import DomainError
from trace.text_guard import replaying

# What a page of ours may load: only our own files. No inline script anywhere (the API
# documentation starts Swagger UI from a static file); images may be data: URIs (QR codes).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def body_too_large(limit: int, received: int) -> DomainError:
    return DomainError(
        "body_too_large",
        f"请求体过大：上限为 {limit} 字节，请减小后重试",
        f"The request body is too large: the limit is {limit} bytes",
        status=413, limit_bytes=limit, received_bytes=received,
    )


Refuse = Callable[[Scope, DomainError], Awaitable[Response] | Response]


class BodyLimit:
    """ASGI middleware: refuse a request body over ``limit`` bytes before the app reads any of it.

    ``refuse`` renders the refusal (JSON for the API, a page for people), as for ``TextGuard``.
    """

    def __init__(self, app: ASGIApp, limit: int, refuse: Refuse) -> None:
        self.app = app
        self.limit = limit
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = _content_length(scope)
        if announced is not None and announced > self.limit:
            await self._refuse(scope, receive, send, announced)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away: the app hears it as it came
            size += len(message.get("body", b""))
            if size > self.limit:  # streamed without a length, or more than it announced
                await self._refuse(scope, receive, send, size)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(messages, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, received: int) -> None:
        response = self.refuse(scope, body_too_large(self.limit, received))
        if not isinstance(response, Response):
            response = await response
        # The client may still be sending: say we will not read the rest.
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


class SecurityHeaders:
    """ASGI middleware: the browser-facing headers on every response.

    A response that sets its own Content-Security-Policy keeps it (the API documentation
    pages, whose bundled scripts need a little more than our own pages).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_https = scope.get("scheme") == "https"

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
                for name, value in ALWAYS.items():
                    headers[name] = value
                if over_https:
                    headers["strict-transport-security"] = HSTS
                _say_utf8(headers)
            await send(message)

        await self.app(scope, receive, send_secured)


def _say_utf8(headers: MutableHeaders) -> None:
    """JSON is UTF-8 (RFC 8259), but curl and some clients guess otherwise unless told."""
    content_type = headers.get("content-type")
    if content_type is None or "charset=" in content_type.lower():
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        headers["content-type"] = f"{content_type}; charset=utf-8"


def secure_every_response(app: Starlette) -> None:
    """Wrap ``SecurityHeaders`` around the app's whole middleware stack.

    ``add_middleware`` would put it inside Starlette's ``ServerErrorMiddleware``, whose 500
    answer goes straight to the server: outside it, the headers reach that answer too.
    """
    build = app.build_middleware_stack

    def build_secured() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_secured  # type: ignore[method-assign]
