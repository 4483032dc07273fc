"""Shapes of the trace answers (``trace.queries``): one batch backward to its source, forward to every canteen.

They carry every domain's shapes, so they stand on the top floor with the queries.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from canteens.schemas import ReceiptPublic, ShipmentPublic
from inspections.schemas import TestResultPublic
from suppliers.schemas import BatchPublic, CertificatePublic, LicencePublic, ProductPublic, SupplierPublic
from trace.schemas import EventPublic


class ShipmentWithOrder(BaseModel):
    shipment: ShipmentPublic
    order: dict[str, Any]


class BackwardTrace(BaseModel):
    batch: BatchPublic
    product: ProductPublic
    supplier: SupplierPublic
    licences: list[LicencePublic]
    certificates: list[CertificatePublic]
    shipments: list[ShipmentWithOrder]
    receipts: list[ReceiptPublic]
    tests: list[TestResultPublic]
    events: list[EventPublic]
    receipt: ReceiptPublic | None = None


class Destination(BaseModel):
    school_id: int
    school_code: str
    school_name: str
    town: str
    shipped_quantity: Decimal
    in_transit_quantity: Decimal
    received_quantity: Decimal = Field(description="Accepted at the door (验收入库)")
    rejected_quantity: Decimal = Field(description="Refused at the door (拒收); shipped = in transit + received + rejected")
    used_quantity: Decimal
    on_hand_quantity: Decimal
    last_used_on: date | None


class ForwardTotals(BaseModel):
    """The destinations added up, in the batch's unit."""

    shipped_quantity: Decimal
    in_transit_quantity: Decimal
    received_quantity: Decimal
    rejected_quantity: Decimal
    used_quantity: Decimal
    on_hand_quantity: Decimal


class ForwardTrace(BaseModel):
    batch: BatchPublic
    unit: str
    destinations: list[Destination]
    totals: ForwardTotals
