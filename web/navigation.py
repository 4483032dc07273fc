"""Each role's navigation, declared once: the layout shows it, ``/`` sends a person to its first entry."""

from __future__ import annotations

from collections.abc import Sequence

from trace.custody import Actor
from trace.i18n import N_
from trace.models import Role
from trace.pages import NavItem

ROLES = frozenset(r.value for r in Role)

NAVIGATION: dict[Role, tuple[NavItem, ...]] = {
    Role.canteen_staff: (
        NavItem(N_("Today's deliveries"), "/canteen/deliveries"),
        NavItem(N_("Receive goods"), "/canteen/receive"),
        NavItem(N_("Stock"), "/canteen/stock"),
        NavItem(N_("Kitchen use"), "/canteen/uses"),
        NavItem(N_("Meals"), "/canteen/meals"),
        NavItem(N_("Retained samples"), "/canteen/samples"),
    ),
    Role.supplier: (
        NavItem(N_("Orders"), "/supplier/orders"),
        NavItem(N_("Batches"), "/supplier/batches"),
        NavItem(N_("Shipments"), "/supplier/shipments"),
        NavItem(N_("Labels"), "/supplier/labels"),
    ),
    Role.inspector: (
        NavItem(N_("Search and trace"), "/inspect/search"),
        NavItem(N_("Chain verification"), "/inspect/chains"),
        NavItem(N_("Holds and recalls"), "/inspect/holds"),
    ),
    Role.admin: (
        NavItem(N_("Accounts"), "/admin/accounts"),
        NavItem(N_("Schools"), "/admin/schools"),
        NavItem(N_("Suppliers"), "/admin/suppliers"),
        NavItem(N_("Products"), "/admin/products"),
        NavItem(N_("Audit log"), "/admin/audit"),
    ),
}


def navigation_for(actor: Actor | None) -> Sequence[NavItem]:
    if actor is None or actor.role not in ROLES:
        return ()
    return NAVIGATION[Role(actor.role)]


def home_of(actor: Actor) -> str:
    """Where a signed-in person lands: the first page of their role's navigation."""
    entries = navigation_for(actor)
    return entries[0].href if entries else "/account/password"
