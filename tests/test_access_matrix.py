"""Who gets what: every route × every kind of caller, written out as the specification.

The callers: a visitor with no credentials; an admin; an inspector; the supplier of the
batch and a user of another supplier; the canteen staff of the school the batch was sent
to and a canteen user of another school. Each answer is one of:

- ``ok``: the route did its work (200/201; a redirect for a QR link), or for a write sent
  with an empty body, got past who-may and was refused only for the body (422) or for the
  record's state (409: a meal another caller served already, a sample not yet due);
- ``401``: sign in first (the API); ``signin``: a page sends a visitor to the sign-in page; ``403``: this role or party may not; ``404``: a record of
  another party, told as an id that names nothing.

The table is written by hand, not derived from ``trace/policy.py``: it is what the policy
must produce. A route the app serves but the table does not list fails the last test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from canteens import device_sync, meals, samples
from canteens.device_sync import QueuedOperation
from canteens.models import Meal, OrderRevision, PurchaseOrder
from inspections import service as inspection_service
from inspections.rapid_tests import ENZYME_INHIBITION
from tests.factories import bearer, make_school, make_supplier, make_user, make_world, today
from trace import accounts, checkpoints
from trace.db import utcnow
from trace.models import Role
from web import drills

CALLERS = ("visitor", "admin", "inspector", "supplier", "other_supplier", "canteen", "other_canteen")

# method, path template, then one answer per caller in CALLERS' order.
MATRIX: list[tuple[str, str, str]] = [
    # accounts and the custody core
    ("GET", "/api/v1/me", "401 ok ok ok ok ok ok"),
    ("POST", "/api/v1/users", "401 ok 403 403 403 403 403"),
    ("POST", "/api/v1/users/{user}/tokens", "401 ok 403 403 403 403 403"),
    ("GET", "/api/v1/events", "401 ok ok 403 403 403 403"),
    ("GET", "/api/v1/chains/verify", "401 ok ok 403 403 403 403"),
    ("POST", "/api/v1/chains/verify", "401 ok ok 403 403 403 403"),
    ("POST", "/api/v1/checkpoints", "401 ok ok 403 403 403 403"),
    ("GET", "/api/v1/checkpoints/latest", "401 ok ok ok ok ok ok"),
    ("GET", "/api/v1/checkpoints/public-key", "ok ok ok ok ok ok ok"),
    # trace queries: a batch is visible to its supplier and to the schools it was sent to
    ("GET", "/api/v1/batches/{batch}/trace/backward", "401 ok ok ok 403 ok 403"),
    ("GET", "/api/v1/receipts/{receipt}/trace/backward", "401 ok ok ok 404 ok 404"),
    ("GET", "/api/v1/batches/{batch}/trace/forward", "401 ok ok ok 403 403 403"),
    # suppliers, licences, products, batches
    ("GET", "/api/v1/suppliers", "401 ok ok ok ok ok ok"),
    ("POST", "/api/v1/suppliers", "401 ok 403 403 403 403 403"),
    ("GET", "/api/v1/suppliers/{supplier}", "401 ok ok ok ok ok ok"),
    ("POST", "/api/v1/suppliers/{supplier}/licences", "401 ok 403 403 403 403 403"),
    ("POST", "/api/v1/suppliers/{supplier}/standing", "401 ok 403 403 403 403 403"),
    ("GET", "/api/v1/products", "401 ok ok ok ok ok ok"),
    ("POST", "/api/v1/products", "401 ok 403 403 403 403 403"),
    ("POST", "/api/v1/batches", "401 ok 403 ok ok 403 403"),
    ("GET", "/api/v1/batches?supplier_id={supplier}", "401 ok ok ok 403 403 403"),
    ("GET", "/api/v1/batches/{batch}", "401 ok ok ok 403 ok 403"),
    ("GET", "/api/v1/batches/{batch}/label.png", "401 ok ok ok 403 ok 403"),
    ("GET", "/api/v1/labels/sheet.pdf?batch_id={batch}", "401 ok ok ok 403 ok 403"),
    # market supervision's measures
    ("POST", "/api/v1/batches/{batch}/hold", "401 403 ok 403 403 403 403"),
    ("POST", "/api/v1/batches/{batch}/release", "401 403 ok 403 403 403 403"),
    ("POST", "/api/v1/batches/{batch}/recall", "401 ok ok 403 403 403 403"),
    # schools, orders, deliveries, stock, kitchen use
    ("GET", "/api/v1/schools", "401 ok ok ok ok ok ok"),
    ("POST", "/api/v1/schools", "401 ok 403 403 403 403 403"),
    ("GET", "/api/v1/schools/{school}", "401 ok ok ok ok ok ok"),
    ("POST", "/api/v1/orders", "401 ok 403 403 403 403 403"),
    ("POST", "/api/v1/orders/{order}/revisions", "401 ok 403 403 403 403 403"),
    ("GET", "/api/v1/orders/{order}", "401 ok ok ok 404 ok 404"),
    ("POST", "/api/v1/shipments", "401 ok 403 ok ok 403 403"),
    ("GET", "/api/v1/shipments/{shipment}", "401 ok ok ok 404 ok 404"),
    ("GET", "/api/v1/shipments/{shipment}/labels.pdf", "401 ok 403 ok 404 403 403"),
    # receiving by two-person check: an admin opens or withdraws; only the school's other staff member
    # confirms ({check} was opened by the school's second staff member, so "canteen" may confirm it)
    ("POST", "/api/v1/receipt-checks", "401 ok 403 403 403 ok ok"),
    ("GET", "/api/v1/receipt-checks/{check}", "401 ok ok 403 403 ok 404"),
    ("POST", "/api/v1/receipt-checks/{check}/confirm", "401 403 403 403 403 ok 404"),
    ("POST", "/api/v1/receipt-checks/{check}/withdraw", "401 ok 403 403 403 ok 404"),
    ("GET", "/api/v1/schools/{school}/receipt-checks", "401 ok ok 403 403 ok 403"),
    ("GET", "/api/v1/schools/{school}/expected-deliveries", "401 ok ok 403 403 ok 403"),
    ("GET", "/api/v1/schools/{school}/scan?code={lot}", "401 ok 403 403 403 ok 403"),
    ("GET", "/api/v1/receipts/{receipt}", "401 ok ok ok 404 ok 404"),
    ("POST", "/api/v1/uses", "401 ok 403 403 403 ok ok"),
    ("GET", "/api/v1/schools/{school}/stock", "401 ok ok 403 403 ok 403"),
    # a supplier reads a school's receipts of what it supplied (another supplier: none)
    ("GET", "/api/v1/schools/{school}/receipts", "401 ok ok ok ok ok 403"),
    ("GET", "/api/v1/schools/{school}/uses", "401 ok ok 403 403 ok 403"),
    # corrections: the school's staff and admins (another school's record is not found)
    ("POST", "/api/v1/receipts/{receipt}/corrections", "401 ok 403 403 403 ok 404"),
    ("POST", "/api/v1/uses/{use}/corrections", "401 ok 403 403 403 ok 404"),
    # meals and retained samples: the school's own records (another school's meal or sample: 404)
    ("POST", "/api/v1/meals", "401 ok 403 403 403 ok ok"),
    ("GET", "/api/v1/meals/{meal}", "401 ok ok 403 403 ok 404"),
    ("POST", "/api/v1/meals/{meal}/dishes", "401 ok 403 403 403 ok 404"),
    ("POST", "/api/v1/meals/{meal}/companions", "401 ok 403 403 403 ok 404"),
    ("POST", "/api/v1/meals/{meal}/uses", "401 ok 403 403 403 ok 404"),
    ("POST", "/api/v1/meals/{meal}/serve", "401 ok 403 403 403 ok 404"),
    ("POST", "/api/v1/meals/{meal}/samples", "401 ok 403 403 403 ok 404"),
    ("POST", "/api/v1/samples/{sample}/discard", "401 ok 403 403 403 ok 404"),
    ("GET", "/api/v1/schools/{school}/meals", "401 ok ok 403 403 ok 403"),
    ("GET", "/api/v1/schools/{school}/samples/due", "401 ok ok 403 403 ok 403"),
    ("GET", "/api/v1/meals/{meal}/trace", "401 ok ok 403 403 ok 404"),
    ("GET", "/api/v1/batches/{batch}/meals", "401 ok ok 403 403 ok 403"),
    # exports: supervision's of everything; a supplier's of its own batches, a canteen's of its school's
    # (another party's batch or lot: 404); a date range exports what the caller sees of it
    ("GET", "/api/v1/exports/epcis?batch_id={batch}", "401 ok ok ok 404 ok 404"),
    ("GET", "/api/v1/exports/epcis?lot={lot}", "401 ok ok ok 404 ok 404"),
    ("GET", "/api/v1/exports/kde.xlsx?batch_id={batch}", "401 ok ok ok 404 ok 404"),
    ("GET", "/api/v1/exports/kde.csv?from={today}&to={today}", "401 ok ok ok ok ok ok"),
    # actions a canteen's phone queued offline: synced by the staff who did them, for their own school
    ("POST", "/api/v1/sync/operations", "401 403 403 403 403 ok ok"),
    # the shell: the front door, sign-in and one's own account
    ("GET", "/", "ok ok ok ok ok ok ok"),
    ("GET", "/lookup?lot={lot}", "ok ok ok ok ok ok ok"),
    ("GET", "/signin", "ok ok ok ok ok ok ok"),
    # open to all, but a sign-in form posted without its form token is refused for anyone (tests/web)
    ("POST", "/signin", "403 403 403 403 403 403 403"),
    ("POST", "/signout", "signin ok ok ok ok ok ok"),
    ("GET", "/account/password", "signin ok ok ok ok ok ok"),
    ("POST", "/account/password", "signin ok ok ok ok ok ok"),
    # pages: admin — accounts, the audit log, the registers (tests/web/test_admin_pages.py); {account} is
    # an account none of the callers uses, {inactive} a deactivated one, {token} an API token of {account}
    ("GET", "/admin/accounts", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/accounts/new", "signin ok 403 403 403 403 403"),
    ("POST", "/admin/accounts", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/accounts/{account}", "signin ok 403 403 403 403 403"),
    ("POST", "/admin/accounts/{account}/password-reset", "signin ok 403 403 403 403 403"),
    ("POST", "/admin/accounts/{account}/deactivate", "signin ok 403 403 403 403 403"),
    ("POST", "/admin/accounts/{inactive}/reactivate", "signin ok 403 403 403 403 403"),
    ("POST", "/admin/accounts/{account}/binding", "signin ok 403 403 403 403 403"),
    ("POST", "/admin/accounts/{account}/tokens", "signin ok 403 403 403 403 403"),
    ("POST", "/admin/accounts/{account}/tokens/{token}/revoke", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/audit", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/audit.csv", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/schools", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/schools/{school}", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/suppliers", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/suppliers/{supplier}", "signin ok 403 403 403 403 403"),
    ("GET", "/admin/products", "signin ok 403 403 403 403 403"),
    # the API documentation, served from the app itself
    ("GET", "/docs", "ok ok ok ok ok ok ok"),
    ("GET", "/redoc", "ok ok ok ok ok ok ok"),
    # the service worker that keeps the canteen's pages offline: a script, open to every browser
    ("GET", "/sw.js", "ok ok ok ok ok ok ok"),
    # pages: work — the canteen's own school (another school's shipment is not found)
    ("GET", "/canteen/deliveries", "signin 403 403 403 403 ok ok"),
    ("GET", "/canteen/shipments/{shipment}", "signin 403 403 403 403 ok 404"),
    ("GET", "/canteen/receive", "signin 403 403 403 403 ok ok"),
    ("POST", "/canteen/receipt-checks", "signin 403 403 403 403 ok ok"),
    ("GET", "/canteen/receipt-checks/{check}", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/receipt-checks/{check}/confirm", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/receipt-checks/{check}/withdraw", "signin 403 403 403 403 ok 404"),
    ("GET", "/canteen/stock", "signin 403 403 403 403 ok ok"),
    ("GET", "/canteen/uses", "signin 403 403 403 403 ok ok"),
    ("POST", "/canteen/uses", "signin 403 403 403 403 ok ok"),
    # the refusals on sync of the school's own phones ({operation}: one refused, of the batch's school)
    ("GET", "/canteen/sync", "signin 403 403 403 403 ok ok"),
    ("POST", "/canteen/sync/{operation}/resolve", "signin 403 403 403 403 ok 404"),
    ("GET", "/canteen/receipts/{receipt}/correct", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/receipts/{receipt}/correct", "signin 403 403 403 403 ok 404"),
    ("GET", "/canteen/uses/{use}/correct", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/uses/{use}/correct", "signin 403 403 403 403 ok 404"),
    # pages: meals and 留样 of the canteen's own school (another school's meal or sample is not found)
    ("GET", "/canteen/meals", "signin 403 403 403 403 ok ok"),
    ("POST", "/canteen/meals", "signin 403 403 403 403 ok ok"),
    ("GET", "/canteen/meals/{meal}", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/meals/{meal}/dishes", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/meals/{meal}/uses", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/meals/{meal}/companions", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/meals/{meal}/samples", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/meals/{meal}/serve", "signin 403 403 403 403 ok 404"),
    ("GET", "/canteen/meals/{meal}/trace", "signin 403 403 403 403 ok 404"),
    ("GET", "/canteen/samples", "signin 403 403 403 403 ok ok"),
    ("POST", "/canteen/samples/{sample}/discard", "signin 403 403 403 403 ok 404"),
    ("POST", "/canteen/samples/discard-due", "signin 403 403 403 403 ok ok"),
    # pages: work — the supplier's own orders and batches (another supplier's are not found)
    ("GET", "/supplier/orders", "signin 403 403 ok ok 403 403"),
    ("GET", "/supplier/orders/{order}", "signin 403 403 ok 404 403 403"),
    ("GET", "/supplier/batches", "signin 403 403 ok ok 403 403"),
    ("GET", "/supplier/batches/{batch}", "signin 403 403 ok 404 403 403"),
    ("GET", "/supplier/shipments", "signin 403 403 ok ok 403 403"),
    ("GET", "/supplier/labels", "signin 403 403 ok ok 403 403"),
    ("GET", "/supplier/labels/print?batch_id={batch}", "signin 403 403 ok ok 403 403"),
    # pages: work — the inspectors' workspace; sealing is inspectors', a recall inspectors' and admins'
    ("GET", "/inspect/search", "signin ok ok 403 403 403 403"),
    ("GET", "/inspect/batches/{batch}", "signin ok ok 403 403 403 403"),
    ("POST", "/inspect/batches/{batch}/hold", "signin 403 ok 403 403 403 403"),
    ("POST", "/inspect/batches/{batch}/release", "signin 403 ok 403 403 403 403"),
    ("POST", "/inspect/batches/{batch}/recall", "signin ok ok 403 403 403 403"),
    ("GET", "/inspect/chains", "signin ok ok 403 403 403 403"),
    ("POST", "/inspect/chains", "signin ok ok 403 403 403 403"),
    ("GET", "/inspect/holds", "signin ok ok 403 403 403 403"),
    ("POST", "/inspect/batches/{batch}/tests", "signin 403 ok 403 403 403 403"),
    ("GET", "/inspect/meals/{meal}", "signin ok ok 403 403 403 403"),
    # mock recalls (模拟召回): supervision's; a drill changes nothing ({drill}: one run on the batch)
    ("POST", "/inspect/batches/{batch}/drills", "signin ok ok 403 403 403 403"),
    ("GET", "/inspect/drills/{drill}", "signin ok ok 403 403 403 403"),
    ("GET", "/inspect/drills/{drill}/list.csv", "signin ok ok 403 403 403 403"),
    ("POST", "/api/v1/batches/{batch}/drills", "401 ok ok 403 403 403 403"),
    ("GET", "/api/v1/drills/{drill}", "401 ok ok 403 403 403 403"),
    # the QR label's links: open to everyone
    ("GET", "/01/{gtin}/10/{lot}", "ok ok ok ok ok ok ok"),
    ("GET", "/.well-known/gs1resolver", "ok ok ok ok ok ok ok"),
    ("GET", "/public/batches/{batch}", "ok ok ok ok ok ok ok"),
    ("GET", "/public/schools/{school}", "ok ok ok ok ok ok ok"),
    ("GET", "/public/batches/{batch}/traceability.json", "ok ok ok ok ok ok ok"),
    ("GET", "/public/batches/{batch}/certificates.json", "ok ok ok ok ok ok ok"),
    # test results: canteens and inspectors record them (a canteen only for batches it was sent, a
    # laboratory result only inspectors); whoever sees the batch reads its tests
    ("POST", "/api/v1/test-results", "401 403 ok 403 403 ok ok"),
    ("GET", "/api/v1/test-results/{test}", "401 ok ok ok 403 ok 403"),
    ("GET", "/api/v1/batches/{batch}/test-results", "401 ok ok ok 403 ok 403"),
    ("POST", "/api/v1/test-results/{test}/corrections", "401 403 ok 403 403 ok ok"),
    # the report file: an empty body is refused as no PDF/JPEG/PNG (422) once who-may passes
    ("POST", "/api/v1/test-results/{test}/report", "401 403 ok 403 403 ok 403"),
    ("GET", "/api/v1/test-results/{test}/report", "401 ok ok ok 403 ok 403"),
]


@dataclass
class Scene:
    ids: dict[str, object]
    headers: dict[str, dict[str, str]]


def _scene(session) -> Scene:
    world = make_world(session)
    receipt = world.receive(session, world.ship(session, "10"), "10")
    shipment = world.ship(session, "5")
    check = world.open_check(session, world.ship(session, "3"), "3", by=world.staff2)
    meal = meals.meal_get_or_create(session, actor=world.actor(world.staff), meal_date=today(), meal=Meal.lunch,
                                    dishes=["米饭"])
    use = meals.meal_use(session, actor=world.actor(world.staff), meal_id=meal.id, batch_id=world.batch.id,
                         quantity=Decimal("1"), unit="kg", dish="米饭")
    sample = samples.sample_take(session, actor=world.actor(world.staff), meal_id=meal.id, dish="米饭",
                                 weight_grams=Decimal("150"), fridge="留样柜1")
    refused = device_sync.operation_submit(session, actor=world.actor(world.staff), operation=QueuedOperation(
        client_operation_id=str(uuid.uuid4()), kind="unknown", body={}, device_occurred_at=utcnow()))
    drill = drills.drill_run(session, actor=world.actor(world.inspector), batch_id=world.batch.id)
    test = inspection_service.test_result_record(
        session, actor=world.actor(world.staff), batch_id=world.batch.id, kind=ENZYME_INHIBITION,
        value=Decimal("10"), school_id=world.school.id, tested_at=utcnow())
    inspection_service.test_report_attach(session, test_id=test.id, content=b"%PDF-1.4\n%%EOF\n")
    checkpoints.checkpoint_create(session, key=checkpoints.load_or_create_signing_key())
    order = session.get(PurchaseOrder, session.get(OrderRevision, world.line.revision_id).order_id)
    session.commit()
    users = {
        "admin": world.admin, "inspector": world.inspector, "supplier": world.supplier_user,
        "other_supplier": make_user(session, Role.supplier, supplier_id=make_supplier(session).id),
        "canteen": world.staff,
        "other_canteen": make_user(session, Role.canteen_staff, school_id=make_school(session).id),
    }
    headers = {"visitor": {}} | {name: bearer(session, user) for name, user in users.items()}
    account = make_user(session, Role.inspector)
    bearer(session, account)
    inactive = accounts.user_deactivate(session, actor=accounts.system_actor(), user=make_user(session, Role.inspector))
    token = accounts.tokens_of(session, account)[0]
    session.commit()
    ids = {"batch": world.batch.id, "receipt": receipt.id, "shipment": shipment.id, "school": world.school.id,
           "supplier": world.supplier.id, "order": order.order_number, "user": world.staff.id,
           "gtin": world.batch.gtin, "lot": world.batch.lot_code, "meal": meal.id, "sample": sample.id, "use": use.id,
           "account": account.id, "inactive": inactive.id, "token": token.id, "today": today().isoformat(),
           "operation": refused.operation.id, "check": check.id, "test": test.id,
           "drill": drill.id}
    return Scene(ids, headers)


def _answer(method: str, response) -> str:
    status = response.status_code
    if status in (302, 303) and response.headers["location"].startswith("/signin"):
        return "signin"
    if status in (401, 403, 404):
        return str(status)
    if 200 <= status < 400 or (method == "POST" and status in (409, 422)):
        return "ok"
    return f"unexpected {status}"


@pytest.mark.parametrize(("method", "path", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_each_caller_gets_the_answer_the_policy_promises(client, session, method, path, expected):
    scene = _scene(session)
    url = path.format(**scene.ids)
    answers = {}
    for caller in CALLERS:
        kwargs = {"json": {}} if method == "POST" else {}
        response = client.request(method, url, headers=scene.headers[caller], follow_redirects=False, **kwargs)
        answers[caller] = _answer(method, response)
    assert answers == dict(zip(CALLERS, expected.split(), strict=True))


def test_the_matrix_lists_every_route_the_app_serves(app):
    served = {(method, context.path) for context in iter_route_contexts(app.routes)
              if isinstance(context.original_route, APIRoute) for method in context.methods if method != "HEAD"}
    listed = {(method, path.split("?")[0].replace("{gtin}/10/{lot}", "{rest:path}")) for method, path, _ in MATRIX}
    placeholders = {"{batch}": "{batch_id}", "{receipt}": "{receipt_id}", "{shipment}": "{shipment_id}",
                    "{school}": "{school_id}", "{supplier}": "{supplier_id}", "{order}": "{order_number}",
                    "{user}": "{user_id}", "{meal}": "{meal_id}", "{sample}": "{sample_id}", "{use}": "{use_id}",
                    "{check}": "{check_id}", "{test}": "{test_id}",
                    "/01/{rest:path}": "/01/{rest:path}",
                    "{account}": "{user_id}", "{operation}": "{operation_id}", "{inactive}": "{user_id}", "{token}": "{token_id}",
                    "{drill}": "{drill_id}"}
    normalised = set()
    for method, path in listed:
        for short, name in placeholders.items():
            path = path.replace(short, name)
        normalised.add((method, path))
    assert served - normalised == set(), "routes missing from the access matrix"
    assert normalised - served == set(), "the matrix lists routes the app does not serve"
