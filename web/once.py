"""A secret shown once after a redirect: a one-time password, a new API token.

A form posts, the platform issues the secret and redirects (post/redirect/get); the
page it lands on shows the secret and forgets it, so reloading or going back shows it
no more. Between the two requests it travels in a short-lived cookie, encrypted with a
key derived from the admin's own session id: only the browser that asked can read it,
and the server keeps nothing (the session table holds only a hash of that id).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request
from fastapi.responses import Response

from trace.deps import cookies_secure
from trace.sessions import COOKIE_NAME

ONCE_COOKIE = "trace_once"
ONCE_PATH = "/admin/accounts"
LIFETIME_SECONDS = 300


def _cipher(request: Request) -> Fernet | None:
    plain_id = request.cookies.get(COOKIE_NAME)
    if not plain_id:
        return None
    digest = hashlib.sha256(b"trace-once-secret:" + plain_id.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def stash(request: Request, response: Response, **secret: Any) -> bool:
    """Carry ``secret`` to the next page of this browser; False when there is no web session to tie it to."""
    cipher = _cipher(request)
    if cipher is None:
        return False
    sealed = cipher.encrypt(json.dumps(secret).encode()).decode()
    response.set_cookie(ONCE_COOKIE, sealed, max_age=LIFETIME_SECONDS, path=ONCE_PATH, httponly=True,
                        samesite="strict", secure=cookies_secure(request))
    return True


def take(request: Request) -> dict[str, Any] | None:
    """The secret stashed by the previous response, if any, still fresh and for this session."""
    sealed, cipher = request.cookies.get(ONCE_COOKIE), _cipher(request)
    if not sealed or cipher is None:
        return None
    try:
        return json.loads(cipher.decrypt(sealed.encode(), ttl=LIFETIME_SECONDS))  # type: ignore[no-any-return]
    except (InvalidToken, ValueError):
        return None


def forget(request: Request, response: Response) -> None:
    """Shown: the cookie goes, and the page is not kept by the browser's cache."""
    if request.cookies.get(ONCE_COOKIE):
        response.delete_cookie(ONCE_COOKIE, path=ONCE_PATH, httponly=True, samesite="strict",
                               secure=cookies_secure(request))
    response.headers["Cache-Control"] = "no-store"
