"""The names and identifiers an export writes next to each custody event: lots, products,
suppliers, schools, shipments and their orders — loaded a page of events at a time.

Identifiers (documented in README, "Exports"):
- a lot is its GS1 Digital Link on the platform's resolver, ``{base}/01/{GTIN-14}/10/{lot}``
  (an LGTIN class: EPCIS quantities count kilograms or litres of it);
- schools and suppliers have no GLN, so their locations and parties are URIs of the
  platform: ``{base}/id/location/school/{school code}``, ``{base}/id/party/school/{code}``,
  ``{base}/id/location/supplier/{统一社会信用代码}``, ``{base}/id/party/supplier/{…}``;
- a meal is ``{base}/id/meal/{id}``, a retained sample (留样) ``{base}/id/sample/{event id
  of its taking}``, an order ``{base}/id/order/{order number}``, a shipment (the despatch
  advice) ``{base}/id/shipment/{id}``, a laboratory report ``{base}/id/test-report/{number}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from sqlalchemy import select
from sqlmodel import Session

from canteens.models import OrderLine, OrderRevision, PurchaseOrder, School, Shipment
from suppliers.models import Batch, Product, Supplier
from trace.digital_link import build_digital_link
from trace.models import CustodyEvent

# UN/ECE Recommendation 20 codes of the units the catalogue declares; a counted unit (袋, 箱…) is a piece.
UNIT_CODES = {"kg": "KGM", "千克": "KGM", "公斤": "KGM", "g": "GRM", "克": "GRM", "t": "TNE", "吨": "TNE",
              "L": "LTR", "l": "LTR", "升": "LTR", "mL": "MLT", "ml": "MLT", "毫升": "MLT"}
PIECE = "H87"


def unit_code(unit: str) -> str:
    return UNIT_CODES.get(unit.strip(), PIECE)


@dataclass(frozen=True)
class LotInfo:
    batch_id: int
    gtin: str
    lot_code: str
    product: str
    unit: str
    production_date: date
    expiry_date: date
    origin: str
    supplier_id: int


@dataclass(frozen=True)
class PartyInfo:
    name: str
    key: str  # school code or 统一社会信用代码
    address: str


@dataclass(frozen=True)
class ShipmentInfo:
    shipment_id: int
    order_number: str
    ship_date: date
    quantity: Decimal
    unit: str


class Directory:
    """Caches of what events refer to. Lots, schools and suppliers are few (kept);
    shipments are many (kept only for the current page)."""

    def __init__(self, session: Session, base_url: str) -> None:
        self.session = session
        self.base = base_url.rstrip("/")
        self.lots: dict[int, LotInfo] = {}
        self.schools: dict[int, PartyInfo] = {}
        self.suppliers: dict[int, PartyInfo] = {}
        self.shipments: dict[int, ShipmentInfo] = {}

    def load(self, events: Iterable[CustodyEvent], *, extra_batch_ids: Iterable[int] = ()) -> None:
        events = list(events)
        batch_ids = ({e.batch_id for e in events if e.batch_id} | set(extra_batch_ids)) - set(self.lots)
        if batch_ids:
            rows = self.session.execute(select(Batch, Product.name).join(Product, Product.id == Batch.product_id)
                                        .where(Batch.id.in_(batch_ids)))
            for batch, product in rows:
                self.lots[batch.id] = LotInfo(batch.id, batch.gtin, batch.lot_code, product, batch.unit,
                                              batch.production_date, batch.expiry_date, batch.origin,
                                              batch.supplier_id)
        supplier_ids = ({e.supplier_id for e in events if e.supplier_id}
                        | {lot.supplier_id for lot in self.lots.values()}) - set(self.suppliers)
        if supplier_ids:
            for supplier in self.session.execute(select(Supplier).where(Supplier.id.in_(supplier_ids))).scalars():
                self.suppliers[supplier.id] = PartyInfo(supplier.name, supplier.credit_code, supplier.address)
        school_ids = {e.school_id for e in events if e.school_id} - set(self.schools)
        if school_ids:
            for school in self.session.execute(select(School).where(School.id.in_(school_ids))).scalars():
                self.schools[school.id] = PartyInfo(school.name, school.code, school.town)
        self.shipments = {}
        shipment_ids = {int(e.subject_id) for e in events if e.subject_type == "shipment"}
        if shipment_ids:
            rows = self.session.execute(
                select(Shipment.id, PurchaseOrder.order_number, Shipment.ship_date, Shipment.quantity, Shipment.unit)
                .join(OrderLine, OrderLine.id == Shipment.order_line_id)
                .join(OrderRevision, OrderRevision.id == OrderLine.revision_id)
                .join(PurchaseOrder, PurchaseOrder.id == OrderRevision.order_id)
                .where(Shipment.id.in_(shipment_ids)))
            for row in rows:
                self.shipments[row.id] = ShipmentInfo(row.id, row.order_number, row.ship_date, row.quantity, row.unit)

    # --- identifiers ---------------------------------------------------------------------------

    def lot_uri(self, batch_id: int) -> str:
        lot = self.lots[batch_id]
        return build_digital_link(self.base, lot.gtin, lot.lot_code)

    def _id(self, *parts: str) -> str:
        return self.base + "/id/" + "/".join(quote(str(p), safe="") for p in parts)

    def school_location(self, school_id: int) -> str:
        return self._id("location", "school", self.schools[school_id].key)

    def school_party(self, school_id: int) -> str:
        return self._id("party", "school", self.schools[school_id].key)

    def supplier_location(self, supplier_id: int) -> str:
        return self._id("location", "supplier", self.suppliers[supplier_id].key)

    def supplier_party(self, supplier_id: int) -> str:
        return self._id("party", "supplier", self.suppliers[supplier_id].key)

    def meal_uri(self, meal_id: int | str) -> str:
        return self._id("meal", str(meal_id))

    def sample_uri(self, taking_event_id: str) -> str:
        return self._id("sample", taking_event_id)

    def order_uri(self, order_number: str) -> str:
        return self._id("order", order_number)

    def shipment_uri(self, shipment_id: int) -> str:
        return self._id("shipment", str(shipment_id))

    def report_uri(self, report_number: str) -> str:
        return self._id("test-report", report_number)
