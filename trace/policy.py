"""Who may do what: one table, declared at every route and page.

Each route names one permission with ``allow("…")``, or says why it is open with
``public("…")``; ``tests/test_policy.py`` fails for a route that declares neither.
The table below says which roles hold each permission and what a refused caller is
told. *Which* records an allowed caller may see — its own school, its own supplier —
is decided by the load-or-404 dependencies in each domain's ``deps.py``, through
``sees_party`` here: a record of another party is "not found", so that ids do not
reveal what other schools and suppliers do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Depends

from trace.custody import Actor
from trace.deps import ActorDep
from trace.errors import Forbidden
from trace.i18n import label
from trace.models import ROLE_LABELS, Role

ADMIN = frozenset({Role.admin})
SUPERVISION = frozenset({Role.admin, Role.inspector})
EVERY_ACCOUNT = frozenset(Role)


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    # What a caller of another role is told; None: the generic role_not_allowed.
    refusal: tuple[str, str, str] | None = None


POLICY: dict[str, Permission] = {
    # accounts and the custody core
    "me.read": Permission(EVERY_ACCOUNT),
    "account.self": Permission(EVERY_ACCOUNT),  # sign out, change one's own password
    "user.create": Permission(ADMIN),
    "token.issue": Permission(ADMIN),
    "event.list": Permission(SUPERVISION),
    "chain.verify": Permission(SUPERVISION),
    "checkpoint.create": Permission(SUPERVISION),
    "checkpoint.read": Permission(EVERY_ACCOUNT),
    # trace queries: which batches a caller may trace is the batch's visibility
    "trace.backward": Permission(EVERY_ACCOUNT),
    "trace.forward": Permission(frozenset({Role.admin, Role.inspector, Role.supplier}), refusal=(
        "forward_trace_not_allowed", "食堂人员不能查看其他学校的去向", "Canteen staff cannot see where else a batch went")),
    # suppliers, licences, the catalogue, batches
    "supplier.read": Permission(EVERY_ACCOUNT),
    "supplier.register": Permission(ADMIN),
    "licence.add": Permission(ADMIN),
    "supplier.standing": Permission(ADMIN),
    "product.read": Permission(EVERY_ACCOUNT),
    "product.create": Permission(ADMIN),
    "batch.read": Permission(EVERY_ACCOUNT),
    "batch.register": Permission(frozenset({Role.admin, Role.supplier})),
    "batch.label": Permission(EVERY_ACCOUNT),
    # 封存 and 解除封存 are market supervision's measures: inspectors take them, not platform admins.
    "batch.hold": Permission(frozenset({Role.inspector})),
    "batch.recall": Permission(SUPERVISION),
    # a mock recall (模拟召回) changes nothing, but what it lists is where a batch went: supervision's
    "batch.drill": Permission(SUPERVISION, refusal=(
        "drills_supervision_only", "只有监管人员可以做模拟召回", "Only inspectors run mock recalls")),
    # schools, orders, deliveries, stock and kitchen use
    "school.read": Permission(EVERY_ACCOUNT),
    "school.register": Permission(ADMIN),
    "order.record": Permission(ADMIN),
    "order.read": Permission(EVERY_ACCOUNT),
    "shipment.create": Permission(frozenset({Role.admin, Role.supplier})),
    "shipment.read": Permission(EVERY_ACCOUNT),
    "shipment.labels": Permission(frozenset({Role.admin, Role.supplier})),
    # receiving by two-person check: an admin may open or withdraw one for a school; only canteen
    # staff of the school confirm (canteens.receipt_checks decides who, as the second checker)
    "receipt.check": Permission(frozenset({Role.admin, Role.canteen_staff})),
    "receipt_check.read": Permission(frozenset({Role.admin, Role.inspector, Role.canteen_staff}), refusal=(
        "receipt_checks_not_visible", "供应商不能查看学校的验收单", "Suppliers cannot see a school's receipt checks")),
    "receipt.read": Permission(EVERY_ACCOUNT),
    "use.create": Permission(frozenset({Role.admin, Role.canteen_staff})),
    # Corrections (canteens.corrections): the school's own staff put their records right, admins too.
    "receipt.correct": Permission(frozenset({Role.admin, Role.canteen_staff}), refusal=(
        "corrections_canteen_only", "只有本校食堂人员可以更正验收记录", "Only the school's canteen staff correct receipts")),
    "use.correct": Permission(frozenset({Role.admin, Role.canteen_staff}), refusal=(
        "corrections_canteen_only", "只有本校食堂人员可以更正出库记录", "Only the school's canteen staff correct kitchen use")),
    "stock.read": Permission(frozenset({Role.admin, Role.inspector, Role.canteen_staff}), refusal=(
        "stock_not_visible", "供应商不能查看学校库存", "Suppliers cannot see school stock")),
    "use.read": Permission(frozenset({Role.admin, Role.inspector, Role.canteen_staff}), refusal=(
        "uses_not_visible", "供应商不能查看学校的出库记录", "Suppliers cannot see a school's kitchen use")),
    # pages: work — each role's own pages; which records they show is still the load-or-404 dependencies'.
    # The canteen's pages read and write for the staff's own school, so they are the staff's alone.
    "work.canteen": Permission(frozenset({Role.canteen_staff}), refusal=(
        "canteen_pages_only", "只有本校食堂人员可以打开食堂工作页面", "Only a school's canteen staff open its canteen pages")),
    "work.supplier": Permission(frozenset({Role.supplier}), refusal=(
        "supplier_pages_only", "只有供应商可以打开供应商工作页面", "Only suppliers open the supplier pages")),
    # Searching, tracing and verifying are supervision's; the measures on the holds page keep
    # their own permissions (batch.hold for inspectors, batch.recall for inspectors and admins).
    "work.inspect": Permission(SUPERVISION, refusal=(
        "inspection_pages_only", "只有监管人员可以打开监管工作页面", "Only inspectors open the inspection pages")),
    # pages: admin — accounts, the audit log, and the read-only registers of schools, suppliers and products
    "admin.accounts.read": Permission(ADMIN),
    "admin.accounts.change": Permission(ADMIN),
    "admin.audit.read": Permission(ADMIN),
    "admin.records.read": Permission(ADMIN),
    # meals and retained samples (留样): the school's own records; a use into a meal is "use.create"
    "meal.record": Permission(frozenset({Role.admin, Role.canteen_staff})),
    "meal.read": Permission(frozenset({Role.admin, Role.inspector, Role.canteen_staff}), refusal=(
        "meals_not_visible", "供应商不能查看学校的餐次记录", "Suppliers cannot see a school's meals")),
    "sample.record": Permission(frozenset({Role.admin, Role.canteen_staff})),
    "sample.read": Permission(frozenset({Role.admin, Role.inspector, Role.canteen_staff}), refusal=(
        "samples_not_visible", "供应商不能查看学校的留样记录", "Suppliers cannot see a school's retained samples")),
    # exports (EPCIS, key data elements): supervision exports everything; a supplier its own batches
    # (without the kitchens' use and meals), canteen staff their own school's events (exports.scope).
    # Another party's lot or batch is "not found".
    "export.read": Permission(EVERY_ACCOUNT),
    # actions a canteen's phone queued offline: applied as the staff member who did them, for their school
    "sync.submit": Permission(frozenset({Role.canteen_staff}), refusal=(
        "sync_staff_only", "只有学校食堂人员可以同步手机上保存的操作",
        "Only a school's canteen staff sync actions saved on a phone")),
    # test results: canteens record their rapid tests, inspectors rapid tests and laboratory
    # results (the route refuses a canteen's laboratory result); whoever sees the batch reads them
    "test.record": Permission(frozenset({Role.inspector, Role.canteen_staff}), refusal=(
        "test_results_not_yours", "只有监管人员和学校食堂人员可以录入检测结果",
        "Only inspectors and canteen staff record test results")),
    "test.read": Permission(EVERY_ACCOUNT),
    # the batch page's form for a laboratory result: market supervision enters laboratories' reports
    "test.laboratory": Permission(frozenset({Role.inspector}), refusal=(
        "laboratory_results_inspectors_only", "实验室检验结果只能由监管人员录入",
        "Only inspectors enter laboratory results")),
}


def _refuse(actor: Actor, permission: str, rule: Permission) -> Forbidden:
    if rule.refusal is not None:
        code, zh, en = rule.refusal
        return Forbidden(code, zh, en, role=actor.role)
    return Forbidden(
        "role_not_allowed",
        f"当前角色（{label(ROLE_LABELS[Role(actor.role)])}）无权执行此操作",
        "Your role may not do this",
        role=actor.role,
        allowed=sorted(r.value for r in rule.roles),
    )


def may(actor: Actor, permission: str) -> bool:
    return actor.role in POLICY[permission].roles


@cache
def _guard(permission: str) -> Callable[[Actor], Actor]:
    rule = POLICY[permission]

    def guard(actor: ActorDep) -> Actor:
        if actor.role not in rule.roles:
            raise _refuse(actor, permission, rule)
        return actor

    guard.permission = permission  # type: ignore[attr-defined]
    return guard


def allow(permission: str) -> Any:
    """The signed-in actor, if its role holds ``permission`` (else 403; 401 for nobody).

    Use it as a parameter's type: ``actor: allow("stock.read")``. An unknown
    permission fails at import time, not at the first request.
    """
    return Annotated[Actor, Depends(_guard(permission))]


def requires(permission: str) -> Any:
    """``allow`` for a route that does not need the actor: ``dependencies=[requires("…")]``."""
    return Depends(_guard(permission))


def public(reason: str) -> Any:
    """Declare a route open to everyone, saying why (``dependencies=[public("…")]``)."""

    def open_to_all() -> None:
        return None

    open_to_all.public = reason  # type: ignore[attr-defined]
    return Depends(open_to_all)


def sees_party(actor: Actor, *, school_id: int | None = None, supplier_id: int | None = None) -> bool:
    """Supervision sees every party's records; a canteen its school's; a supplier its own.

    A record names the parties it belongs to (a shipment both its school and its
    supplier); the caller sees it if it is one of them.
    """
    if actor.role in (Role.admin, Role.inspector):
        return True
    if actor.role == Role.canteen_staff:
        return school_id is not None and school_id == actor.school_id
    if actor.role == Role.supplier:
        return supplier_id is not None and supplier_id == actor.supplier_id
    return False


def supplier_scope(actor: ActorDep) -> int | None:
    """A supplier reads only what it supplied: the supplier to filter by, or None for everything."""
    return actor.supplier_id if actor.role == Role.supplier else None


SupplierScope = Annotated[int | None, Depends(supplier_scope)]


def declared(call: Callable[..., Any]) -> str | None:
    """The permission or the public reason a dependency declares (for the route test)."""
    return getattr(call, "permission", None) or getattr(call, "public", None)
