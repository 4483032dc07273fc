"""Schools, orders, shipments, receipts, stock and use in the kitchen: every rule, no HTTP.

The rules live in the module that owns each part — :mod:`canteens.schools`,
:mod:`canteens.orders`, :mod:`canteens.deliveries` (shipments and receipts) and
:mod:`canteens.kitchen` (stock and use) — and new callers import those. This module
names them all in one place for the callers that reach the domain as one service
(``from canteens import service``), as other domains' services are reached.
"""

from __future__ import annotations

from canteens.dates import assert_date_range, occurred_on
from canteens.deliveries import (
    receipt_create,
    receipt_get,
    receipts_of_school,
    shipment_create,
    shipment_get,
)
from canteens.kitchen import stock_lots_of_school, stock_of_school, use_create, uses_of_school
from canteens.orders import order_create, order_current_revision, order_get, order_revise, order_revisions
from canteens.schools import (
    assert_acts_for_school,
    canteen_of,
    canteen_review_warnings,
    school_create,
    school_get,
    school_list,
)

__all__ = [
    "assert_acts_for_school", "assert_date_range", "canteen_of", "canteen_review_warnings", "occurred_on",
    "order_create", "order_current_revision", "order_get", "order_revise", "order_revisions", "receipt_create",
    "receipt_get", "receipts_of_school", "school_create", "school_get", "school_list",
    "shipment_create", "shipment_get", "stock_lots_of_school", "stock_of_school", "use_create", "uses_of_school",
]
