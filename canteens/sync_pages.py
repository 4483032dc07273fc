"""同步: what the phone still holds, and what the server refused on sync, for the staff to resolve.

The actions still waiting on this device are the browser's (IndexedDB): ``static/offline.js``
lists them in the page's "waiting on this device" section. The refusals are the server's
(``canteens.device_sync``): each stays on this page until a staff member of the school says
how it was dealt with.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from canteens import device_sync, service
from canteens.models import MEAL_LABELS, Meal
from trace.clock import local_zone
from trace.db import write_transaction
from trace.deps import SessionDep
from trace.errors import DomainError
from trace.fields import PathId
from trace.pages import page_locale, render_page, see_other
from trace.policy import allow

router = APIRouter(include_in_schema=False)


def _sync_page(request: Request, session: SessionDep, school_id: int, *, status: int = 200,
               error: str | None = None, failed: int | None = None, note: str = "",
               resolved: bool = False) -> Response:
    waiting = device_sync.operation_views(session, device_sync.refusals_of_school(session, school_id))
    done = device_sync.operation_views(session, device_sync.refusals_of_school(session, school_id, resolved=True,
                                                                               limit=20))
    return render_page(request, "canteens/sync.html", status=status, waiting=waiting, done=done, error=error,
                       failed=failed, note=note, resolved=resolved, school=service.school_get(session, school_id),
                       meal_labels={m.value: MEAL_LABELS[m] for m in Meal},
                       local_time=lambda at: at.astimezone(local_zone()))


@router.get("/canteen/sync")
def sync(actor: allow("work.canteen"), request: Request, session: SessionDep, resolved: bool = False) -> Response:
    """同步: actions waiting on this phone, and those the server refused, to resolve with a note."""
    return _sync_page(request, session, actor.school_id, resolved=resolved)


@router.post("/canteen/sync/{operation_id}/resolve")
def sync_resolve(actor: allow("work.canteen"), request: Request, session: SessionDep, operation_id: PathId,
                 note: Annotated[str, Form(max_length=600)] = "") -> Response:
    """Say how a refused action was dealt with; it leaves the list of what waits."""
    try:
        with write_transaction(session):
            device_sync.operation_resolve(session, actor=actor, operation_id=operation_id, note=note)
            session.commit()
    except DomainError as refused:
        session.rollback()
        message = refused.zh if page_locale(request) == "zh-CN" else refused.en
        return _sync_page(request, session, actor.school_id, status=refused.status, error=message,
                          failed=operation_id, note=note)
    return see_other("/canteen/sync?resolved=1")
