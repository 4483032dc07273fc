"""The audit log page: every account's events, newest first, with filters, and as CSV.

The events are read from the accounts' own chains (trace.audit); this page only
narrows and shows them. The failed sign-ins counted per client address stand beside
them, since a username that names no account has no chain to record them on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from canteens import service as canteen_service
from suppliers import service as supplier_service
from trace.accounts import user_by_username
from trace.audit import AUDIT_KINDS, AuditEntry, AuditFilter, audit_events, sign_in_failures_by_address
from trace.clock import local_zone
from trace.deps import SessionDep
from trace.errors import NotFound
from trace.fields import Offset
from trace.i18n import translations
from trace.models import ROLE_LABELS, Role
from trace.pages import page_locale, render_page
from trace.policy import allow
from web.admin import local_time

router = APIRouter(include_in_schema=False)
ROLES = frozenset(r.value for r in Role)

PAGE_SIZE = 50
CSV_LIMIT = 10_000

Text = Annotated[str, Query(max_length=100)]
DateFrom = Annotated[date | None, Query(alias="from")]
DateTo = Annotated[date | None, Query(alias="to")]


@dataclass(frozen=True)
class Wording:
    """What the details of an event are written with: the page's language and the parties' names."""

    gettext: Callable[[str], str]
    school_names: dict[int, str]
    supplier_names: dict[int, str]

    def role(self, value: object) -> str:
        return self.gettext(ROLE_LABELS[Role(value)]) if value in ROLES else "—"

    def party(self, binding: dict[str, Any]) -> str:
        if binding.get("school_id"):
            return self.school_names.get(binding["school_id"], f"#{binding['school_id']}")
        if binding.get("supplier_id"):
            return self.supplier_names.get(binding["supplier_id"], f"#{binding['supplier_id']}")
        return "—"


def wording(request: Request, session: Session) -> Wording:
    return Wording(translations(page_locale(request)).gettext,
                   {s.id: s.name for s in canteen_service.school_list(session)},
                   {s.id: s.name for s in supplier_service.supplier_list(session)})


def entry_details(entry: AuditEntry, words: Wording) -> list[str]:
    """The facts of an event worth a line, in the reader's language: the change, the token, the reason, the count."""
    _, p, step = words.gettext, entry.payload, entry.event.biz_step
    lines = []
    if step == "rebinding":
        before, after = p.get("before") or {}, p.get("after") or {}
        if before.get("role") != after.get("role"):
            lines.append(_("Role: %(before)s → %(after)s") % {"before": words.role(before.get("role")),
                                                               "after": words.role(after.get("role"))})
        if words.party(before) != words.party(after):
            lines.append(_("Belongs to: %(before)s → %(after)s") % {"before": words.party(before),
                                                                     "after": words.party(after)})
    if step == "commissioning":
        lines.append(_("Role: %(role)s") % {"role": words.role(p.get("role"))})
        if words.party(p) != "—":
            lines.append(_("Belongs to: %(party)s") % {"party": words.party(p)})
    if p.get("name"):
        lines.append(_("Token: %(name)s") % {"name": p["name"]})
    if p.get("reason") == "wrong_password":
        lines.append(_("Wrong password"))
    elif p.get("reason"):
        lines.append(_("Reason: %(reason)s") % {"reason": p["reason"]})
    if p.get("failures"):
        lines.append(_("%(n)s recent failures") % {"n": p["failures"]})
    if p.get("until"):
        until = datetime.fromisoformat(p["until"]).astimezone(local_zone())
        lines.append(_("Locked until %(time)s") % {"time": f"{until:%H:%M}"})
    if p.get("sessions_ended"):
        lines.append(_("%(n)s web sessions ended") % {"n": p["sessions_ended"]})
    if p.get("tokens_revoked"):
        lines.append(_("%(n)s API tokens revoked") % {"n": p["tokens_revoked"]})
    return lines


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _filter(session: Session, account: str, kind: str, date_from: date | None, date_to: date | None,
            address: str) -> tuple[AuditFilter, str | None]:
    """The filter the query asks for, and the account name that names no one (shown as such)."""
    user_id, unknown = None, None
    if account.strip():
        try:
            user_id = user_by_username(session, account.strip()).id
        except NotFound:
            unknown = account.strip()
    return AuditFilter(user_id=user_id, kind=kind or None, date_from=date_from, date_to=date_to,
                       address=address), unknown


@router.get("/admin/audit")
def audit_log(request: Request, _: allow("admin.audit.read"), session: SessionDep, account: Text = "",
              kind: Annotated[str, Query(max_length=40)] = "", date_from: DateFrom = None, date_to: DateTo = None,
              address: Text = "", offset: Offset = 0) -> Response:
    """Account events newest first; sign-in failures per client address beside them."""
    where, unknown = _filter(session, account, kind, date_from, date_to, address)
    page = audit_events(session, where, limit=PAGE_SIZE, offset=offset) if unknown is None else None
    locale, words = page_locale(request), wording(request, session)
    query = {"account": account, "kind": kind, "from": date_from.isoformat() if date_from else "",
             "to": date_to.isoformat() if date_to else "", "address": address}
    return render_page(
        request, "admin/audit.html", page=page, unknown=unknown, filters=query, offset=offset, page_size=PAGE_SIZE,
        kinds=AUDIT_KINDS, details=lambda entry: entry_details(entry, words), when=lambda at: local_time(at, locale),
        failures=sign_in_failures_by_address(session, where), filtered=any(query.values()),
        query_string=urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "offset"]))


@router.get("/admin/audit.csv")
def audit_csv(request: Request, _: allow("admin.audit.read"), session: SessionDep, account: Text = "",
              kind: Annotated[str, Query(max_length=40)] = "", date_from: DateFrom = None, date_to: DateTo = None,
              address: Text = "") -> Response:
    """The filtered log as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    where, unknown = _filter(session, account, kind, date_from, date_to, address)
    entries = [] if unknown else audit_events(session, where, limit=CSV_LIMIT).entries
    words = wording(request, session)
    gettext = words.gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["event_id", "occurred_at", "account", "kind", "kind_label", "actor", "actor_role",
                     "client_address", "details", "stream", "seq"])
    for entry in entries:
        event: Any = entry.event
        writer.writerow([_cell(x) for x in (event.event_id, event.occurred_at.isoformat(), entry.account.username if entry.account else "",
                         event.biz_step, gettext(entry.kind_label), entry.actor.username if entry.actor else "",
                         event.actor_role, entry.address, "; ".join(entry_details(entry, words)), event.stream, event.seq)])
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"',
                             "Cache-Control": "no-store"})
