"""Load-or-404 dependencies for the canteens' records, with the visibility check.

An order, a shipment or a receipt belongs to a school and a supplier; anyone else is
told it does not exist, in the same words as for an id that names nothing, so ids
reveal nothing about other schools' and suppliers' business. A school itself is
public (parents find it by name), so acting for another school is refused plainly.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from canteens import receipt_checks, service
from canteens.models import PurchaseOrder, Receipt, ReceiptCheck, School, Shipment
from trace.deps import ActorDep, SessionDep
from trace.errors import NotFound
from trace.fields import PathId
from trace.policy import sees_party


def order_for_reader(order_number: str, session: SessionDep, actor: ActorDep) -> PurchaseOrder:
    order = service.order_get(session, order_number)
    if not sees_party(actor, school_id=order.school_id, supplier_id=order.supplier_id):
        raise NotFound("order_not_found", f"订单 {order_number} 不存在", f"Order {order_number} not found",
                       order_number=order_number)
    return order


def _shipment_not_found(shipment_id: int) -> NotFound:
    return NotFound("shipment_not_found", f"发货单 {shipment_id} 不存在", f"Shipment {shipment_id} not found",
                    shipment_id=shipment_id)


def shipment_for_reader(shipment_id: PathId, session: SessionDep, actor: ActorDep) -> Shipment:
    shipment = service.shipment_get(session, shipment_id)
    if not sees_party(actor, school_id=shipment.school_id, supplier_id=shipment.supplier_id):
        raise _shipment_not_found(shipment_id)
    return shipment


def shipment_for_shipper(shipment_id: PathId, session: SessionDep, actor: ActorDep) -> Shipment:
    """A shipment its supplier (or an admin) prints labels for."""
    shipment = service.shipment_get(session, shipment_id)
    if not sees_party(actor, supplier_id=shipment.supplier_id):
        raise _shipment_not_found(shipment_id)
    return shipment


def receipt_for_reader(receipt_id: PathId, session: SessionDep, actor: ActorDep) -> Receipt:
    """A receipt, for its school, the supplier that shipped it, inspectors and admins."""
    receipt = service.receipt_get(session, receipt_id)
    supplier_id = service.shipment_get(session, receipt.shipment_id).supplier_id
    if not sees_party(actor, school_id=receipt.school_id, supplier_id=supplier_id):
        raise NotFound("receipt_not_found", f"验收记录 {receipt_id} 不存在", f"Receipt {receipt_id} not found",
                       receipt_id=receipt_id)
    return receipt


def school_for_actor(school_id: PathId, session: SessionDep, actor: ActorDep) -> School:
    """A school whose records the caller reads: canteen staff only their own."""
    service.assert_acts_for_school(actor, school_id)
    return service.school_get(session, school_id)


OrderForReader = Annotated[PurchaseOrder, Depends(order_for_reader)]
ShipmentForReader = Annotated[Shipment, Depends(shipment_for_reader)]
ShipmentForShipper = Annotated[Shipment, Depends(shipment_for_shipper)]
ReceiptForReader = Annotated[Receipt, Depends(receipt_for_reader)]
SchoolForActor = Annotated[School, Depends(school_for_actor)]


def receipt_check_for_actor(check_id: PathId, session: SessionDep, actor: ActorDep) -> ReceiptCheck:
    """A receipt check of the caller's school (inspectors and admins: every school's)."""
    check = receipt_checks.check_get(session, check_id)
    if not sees_party(actor, school_id=check.school_id):
        raise NotFound("receipt_check_not_found", f"验收单 {check_id} 不存在", f"Receipt check {check_id} not found",
                       check_id=check_id)
    return check


ReceiptCheckForActor = Annotated[ReceiptCheck, Depends(receipt_check_for_actor)]
