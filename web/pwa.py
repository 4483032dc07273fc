"""The service worker that keeps the canteen's pages working without a network (issue 12 §6).

It is served from the site's root, not from ``/static/``: a worker controls only the pages
under the path it is served from, and the canteen's pages are under ``/canteen/``. The
script itself is ``static/sw.js``; the web app manifest is ``static/manifest.webmanifest``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from trace.guard import PROJECT_ROOT
from trace.policy import public

router = APIRouter(include_in_schema=False)

SERVICE_WORKER = PROJECT_ROOT / "static" / "sw.js"


@router.get("/sw.js", dependencies=[public("the service worker script: a browser fetches it before anyone signs in")])
def service_worker() -> Response:
    """The service worker, scoped to the whole site; always checked for a newer copy."""
    return Response(SERVICE_WORKER.read_bytes(), media_type="text/javascript",
                    headers={"Cache-Control": "no-cache"})
