"""Text from outside may not carry control characters, in any field.

PostgreSQL cannot store U+0000 in text (a 500 from the driver) and psycopg cannot encode
a lone surrogate (JSON ``"\\ud800"``), while SQLite stores both as given: the same request
would mean different things on the two databases. Other control characters are never
typed by a person; they hide text on labels and pages and break exports. So one check
runs before routing, on every request, and covers every present and future field without
touching a schema: the path (percent-decoded), query parameter names and values, the
``Idempotency-Key`` header (stored with the answer), and text bodies — every key and
string of a JSON body, every field of a form. File parts of an upload are data, not text,
and are never read here.

Refused: C0 controls except TAB, LF and CR; DEL; C1 controls (U+0080–U+009F); unpaired
surrogates (U+D800–U+DFFF).
"""

from __future__ import annotations

import email.message
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trace.errors import Invalid

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Headers whose value is stored; the others are read (tokens are hashed) or ignored.
STORED_HEADERS = ("idempotency-key",)

Loc = list[str | int]


def refusal(loc: Loc, character: str) -> Invalid:
    """The 422 for a forbidden character at ``loc`` (as in FastAPI's validation errors)."""
    code_point = f"U+{ord(character):04X}"
    where = _readable(loc)
    if 0xD800 <= ord(character) <= 0xDFFF:
        zh_kind, en_kind = "无效的代理字符", "an unpaired surrogate"
    else:
        zh_kind, en_kind = "不可见的控制字符", "an invisible control character"
    return Invalid(
        "control_character_in_text",
        f"{where} 含有{zh_kind}（{code_point}），请删除后重试",
        f"{where} holds {en_kind} ({code_point}); remove it and retry",
        loc=[_escaped(part) if isinstance(part, str) else part for part in loc], character=code_point,
    )


def _readable(loc: Loc) -> str:
    # A JSON key may itself hold the character refused: name it by its code point, never echo it.
    text = _escaped(str(loc[0]))
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{_escaped(part)}"
    return text


def _escaped(text: str) -> str:
    return FORBIDDEN.sub(lambda found: f"U+{ord(found.group()):04X}", text)


def check_text(value: str, loc: Loc) -> None:
    if found := FORBIDDEN.search(value):
        raise refusal(loc, found.group())


def check_json(document: Any, loc: Loc) -> None:
    """Every key and string of a decoded JSON document, without recursion (it may be deep)."""
    stack: list[tuple[Any, Loc]] = [(document, loc)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            check_text(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(key, [*where, key])
                stack.append((item, [*where, key]))
        elif isinstance(value, list):
            stack.extend((item, [*where, index]) for index, item in enumerate(value))


def check_pairs(pairs: Iterable[tuple[str, Any]], kind: str) -> None:
    for name, value in pairs:
        check_text(name, [kind, name])
        if isinstance(value, str):
            check_text(value, [kind, name])


def check_path(path: str) -> None:
    for segment in path.split("/"):
        if found := FORBIDDEN.search(segment):
            raise refusal(["path", quote(segment, safe="")], found.group())


def check_header(raw: bytes, name: str) -> None:
    try:
        value = raw.decode("utf-8")  # what a client meant by a non-ASCII key
    except UnicodeDecodeError:
        value = raw.decode("latin-1")  # what Starlette hands the app
    check_text(value, ["header", name])


def _content_type(scope: Scope) -> tuple[str, str] | None:
    """(maintype, subtype) of the request body, None when the header is absent."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            message = email.message.Message()
            message["content-type"] = value.decode("latin-1")
            return message.get_content_maintype(), message.get_content_subtype()
    return None


def _is_json(content_type: tuple[str, str] | None) -> bool:
    # The same rule FastAPI uses to decide a body is JSON (no header counts as JSON).
    if content_type is None:
        return True
    maintype, subtype = content_type
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


async def check_body(scope: Scope, body: bytes, replay: Receive) -> None:
    if not body:
        return
    content_type = _content_type(scope)
    if _is_json(content_type):
        try:
            document = json.loads(body)  # exactly as Starlette will decode it
        except (ValueError, RecursionError):
            return  # not JSON: the app refuses it as unparseable
        check_json(document, ["body"])
    elif content_type == ("application", "x-www-form-urlencoded"):
        check_pairs(parse_qsl(body.decode("latin-1"), keep_blank_values=True), "body")
    elif content_type == ("multipart", "form-data"):
        try:
            form = await Request(scope, replay).form()
        except Exception:  # a malformed upload is the app's to refuse, with its own answer
            return
        try:
            check_pairs(((k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)), "body")
        finally:
            await form.close()


Refuse = Callable[[Scope, Invalid], Awaitable[Response] | Response]


class TextGuard:
    """ASGI middleware: refuse a request whose text holds a forbidden character before any route reads it.

    ``refuse`` renders the refusal (JSON for the API, a page for people), so this module
    stays below the pages it protects.
    """

    def __init__(self, app: ASGIApp, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, replay = await _buffered(receive)
        try:
            check_path(scope["path"])
            check_pairs(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
                        "query")
            for name, value in scope.get("headers", []):
                if name.decode("latin-1") in STORED_HEADERS:
                    check_header(value, name.decode("latin-1"))
            await check_body(scope, body, _buffered_again(body, receive))
        except Invalid as refused:
            response = self.refuse(scope, refused)
            if not isinstance(response, Response):
                response = await response
            await response(scope, replay, send)
            return
        await self.app(scope, replay, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body once; hand the app a receive that replays it, then listens on."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            # The client went away before sending everything: pass that on as it came.
            return b"".join(chunks), replaying([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, _buffered_again(body, receive)


def _buffered_again(body: bytes, receive: Receive) -> Receive:
    return replaying([{"type": "http.request", "body": body, "more_body": False}], receive)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands the app the messages a middleware already read, then the rest."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
