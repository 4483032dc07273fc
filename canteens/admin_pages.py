"""The administrator's read-only register of schools and their canteens' licences.

Reads through the canteens' service; nothing is changed here (schools are registered
through the API). Admin only: ``admin.records.read``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from canteens import service
from suppliers.licence_numbers import LICENCE_KINDS, parse_licence_number
from trace.account_admin import AccountFilter, accounts_find
from trace.clock import local_today
from trace.deps import SessionDep
from trace.errors import Invalid
from trace.fields import PathId
from trace.pages import render_page
from trace.policy import allow

router = APIRouter(include_in_schema=False)

# A canteen licence this close to its end is shown as expiring.
EXPIRING_WITHIN_DAYS = 60


@router.get("/admin/schools")
def school_register(request: Request, _: allow("admin.records.read"), session: SessionDep) -> Response:
    """Every school: town, kind, and its canteen's food business licence with its validity."""
    rows = [{"school": s, "canteen": service.canteen_of(session, s.id)} for s in service.school_list(session)]
    return render_page(request, "canteens/admin/schools.html", rows=rows, today=local_today(),
                       expiring_within=EXPIRING_WITHIN_DAYS)


@router.get("/admin/schools/{school_id}")
def school_record(request: Request, _: allow("admin.records.read"), session: SessionDep,
                  school_id: PathId) -> Response:
    """One school: its canteen licence, what a reviewer should check on it, and its staff accounts."""
    school = service.school_get(session, school_id)
    canteen = service.canteen_of(session, school.id)
    licence = None
    if canteen is not None:
        try:
            licence = parse_licence_number(canteen.licence_number, kind="food_business")
        except Invalid:
            licence = None  # recorded before a rule was tightened: the review warnings say why
    return render_page(
        request, "canteens/admin/school.html", school=school, canteen=canteen, licence=licence,
        licence_kind=LICENCE_KINDS["food_business"], warnings=service.canteen_review_warnings(canteen),
        staff=accounts_find(session, AccountFilter(school_id=school.id), limit=200).users,
        today=local_today(), expiring_within=EXPIRING_WITHIN_DAYS)
