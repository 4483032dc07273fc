"""Schools and their canteens, orders from the procurement platform, shipments
to canteens, receipts, stock on hand and use in the kitchen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from trace.db import Quantity, UTCDateTime, utcnow
from trace.i18n import N_


class SchoolKind(StrEnum):
    # The platform covers 中小学、幼儿园 (domain.md §3.2: the same duties, 陪餐 and 留样, apply).
    primary = "小学"
    junior = "初中"
    senior = "高中"
    nine_year = "九年一贯制"
    vocational = "职校"
    kindergarten = "幼儿园"


class School(SQLModel, table=True):
    __tablename__ = "school"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=100)
    town: str = Field(max_length=40)
    town_code: str = Field(max_length=12)
    kind: SchoolKind = Field(max_length=10)
    students: int = Field(ge=0)
    staff: int = Field(ge=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Canteen(SQLModel, table=True):
    __tablename__ = "canteen"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", unique=True)
    name: str = Field(max_length=100)
    licence_number: str = Field(max_length=20, unique=True)  # 食品经营许可证 JY3…
    licence_issued_on: date
    licence_expires_on: date


class PurchaseOrder(SQLModel, table=True):
    """An order as it comes from the procurement platform; its content lives in revisions."""

    __tablename__ = "purchase_order"

    id: int | None = Field(default=None, primary_key=True)
    order_number: str = Field(max_length=40, unique=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    current_revision: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderRevision(SQLModel, table=True):
    """Every change to an order is a new revision; old ones are never overwritten."""

    __tablename__ = "order_revision"
    __table_args__ = (UniqueConstraint("order_id", "revision", name="uq_order_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="purchase_order.id", index=True)
    revision: int
    delivery_date: date
    note: str = Field(default="", max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")  # None: the procurement platform
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("revision_id", "line_number", name="uq_order_line"),)

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="order_revision.id", index=True)
    line_number: int
    product_id: int = Field(foreign_key="product.id")
    quantity: Decimal = Field(sa_type=Quantity)  # in the product's base unit
    unit: str = Field(max_length=10)
    ordered_quantity: Decimal = Field(sa_type=Quantity)  # as written on the order
    ordered_unit: str = Field(max_length=10)
    unit_price_fen: int = Field(ge=0)  # price per ordered unit, in 分


class Shipment(SQLModel, table=True):
    """Part of a batch sent by its supplier to one school's canteen."""

    __tablename__ = "shipment"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    quantity: Decimal = Field(sa_type=Quantity)
    unit: str = Field(max_length=10)
    ship_date: date
    # Accepted + rejected so far; kept in step with receipts in the same transaction.
    accounted_quantity: Decimal = Field(default=Decimal("0.000"), sa_type=Quantity)
    shipped_by: int = Field(foreign_key="app_user.id")
    shipped_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Receipt(SQLModel, table=True):
    """Acceptance of a shipment at the canteen (验收)."""

    __tablename__ = "receipt"
    # (batch, school) answers "when did this canteen first receive this batch" for every
    # use, and its batch prefix serves the trace queries. No (school, date) index: SQLite
    # would pick it for that first-receipt lookup and walk a school's receipts by date.
    __table_args__ = (Index("ix_receipt_batch_school", "batch_id", "school_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    batch_id: int = Field(foreign_key="batch.id")
    school_id: int = Field(foreign_key="school.id", index=True)
    accepted_quantity: Decimal = Field(sa_type=Quantity)
    rejected_quantity: Decimal = Field(sa_type=Quantity)
    unit: str = Field(max_length=10)
    rejection_reason: str = Field(default="", max_length=500)
    arrival_temperature_celsius: float | None = None
    receipt_date: date
    received_by: int = Field(foreign_key="app_user.id")  # the first checker, who opened the check
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event_id: str = Field(max_length=36)
    # A correction is a new receipt naming the one it replaces (canteens.corrections), never an
    # edit; unique: a record is corrected at most once, so two people correcting at once cannot
    # both win, and correcting again means correcting the correction.
    corrects_receipt_id: int | None = Field(default=None, foreign_key="receipt.id", unique=True, index=True)
    correction_reason: str | None = Field(default=None, max_length=500)
    # Two-person acceptance (双人或多人联检, domain.md §3.4): the second checker and their check.
    # Nullable only for receipts written before checks existed.
    confirmed_by: int | None = Field(default=None, foreign_key="app_user.id")
    check_id: int | None = Field(default=None, foreign_key="receipt_check.id", unique=True)
    # What became of the rejected quantity on the spot (当场退回或销毁): "returned" or "destroyed".
    rejected_disposal: str | None = Field(default=None, max_length=10)
    # The papers the checkers ticked as seen (索证索票): a JSON list of paper names.
    certificates_checked: str | None = Field(default=None, sa_type=Text)


class Disposal(StrEnum):
    """What is done on the spot with goods turned away at the door (§3.4: 当场退回或销毁)."""

    returned = "returned"
    destroyed = "destroyed"


DISPOSAL_LABELS = {Disposal.returned: N_("Returned to the supplier"), Disposal.destroyed: N_("Destroyed on the spot")}


class CheckStatus(StrEnum):
    open = "open"  # waiting for the second checker
    confirmed = "confirmed"  # a receipt was written
    withdrawn = "withdrawn"  # given up, with a reason; nothing counted


CHECK_STATUS_LABELS = {
    CheckStatus.open: N_("Awaiting the second checker"),
    CheckStatus.confirmed: N_("Confirmed"),
    CheckStatus.withdrawn: N_("Withdrawn"),
}


class ReceiptCheck(SQLModel, table=True):
    """The first checker's 验收单: what they found at the door, open until a second staff
    member of the same school confirms it (then a receipt is written, and only then does it
    count) or it is withdrawn.

    ``open_shipment_id`` is the shipment's id while the check is open and NULL once it is
    closed: its unique constraint lets the database hold one open check per shipment, on
    SQLite and PostgreSQL alike.
    """

    __tablename__ = "receipt_check"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    batch_id: int = Field(foreign_key="batch.id")
    school_id: int = Field(foreign_key="school.id", index=True)
    status: CheckStatus = Field(default=CheckStatus.open, max_length=10)
    open_shipment_id: int | None = Field(default=None, unique=True)
    # As the checker entered them (the unit may be a package unit); converted at confirmation.
    accepted_quantity: Decimal = Field(sa_type=Quantity)
    rejected_quantity: Decimal = Field(sa_type=Quantity)
    unit: str = Field(max_length=10)
    rejection_reason: str = Field(default="", max_length=500)
    rejected_disposal: str | None = Field(default=None, max_length=10)
    arrival_temperature_celsius: float | None = None
    temperature_out_of_range: bool = False
    certificates_checked: str = Field(default="[]", sa_type=Text)
    # The first rapid test of this check (its re-tests point at it), when the product calls for one.
    rapid_test_id: int | None = Field(default=None, foreign_key="test_result.id")
    receipt_date: date
    opened_by: int = Field(foreign_key="app_user.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)  # when it happened on the device
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # when the server got it
    closed_by: int | None = Field(default=None, foreign_key="app_user.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdraw_reason: str = Field(default="", max_length=500)


class Stock(SQLModel, table=True):
    """What a canteen holds of one batch. Received and used only ever grow."""

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("school_id", "batch_id", name="uq_stock_school_batch"),
        Index("ix_stock_batch", "batch_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id")
    batch_id: int = Field(foreign_key="batch.id")
    received_quantity: Decimal = Field(default=Decimal("0.000"), sa_type=Quantity)
    used_quantity: Decimal = Field(default=Decimal("0.000"), sa_type=Quantity)
    unit: str = Field(max_length=10)

    @property
    def on_hand(self) -> Decimal:
        return self.received_quantity - self.used_quantity


class Meal(StrEnum):
    breakfast = "breakfast"
    lunch = "lunch"
    dinner = "dinner"


MEAL_LABELS = {Meal.breakfast: N_("Breakfast"), Meal.lunch: N_("Lunch"), Meal.dinner: N_("Dinner")}


class KitchenUse(SQLModel, table=True):
    """出库: a quantity of a batch taken from stock into the kitchen for a meal."""

    __tablename__ = "kitchen_use"
    # (school, date) serves a school's use by date, and its school prefix everything else by school.
    __table_args__ = (Index("ix_kitchen_use_batch", "batch_id"),
                      Index("ix_kitchen_use_school_date", "school_id", "use_date"))

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id")
    batch_id: int = Field(foreign_key="batch.id")
    quantity: Decimal = Field(sa_type=Quantity)
    unit: str = Field(max_length=10)
    use_date: date
    meal: Meal = Field(max_length=10)
    dish: str = Field(default="", max_length=100)
    used_by: int = Field(foreign_key="app_user.id")
    used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event_id: str = Field(max_length=36)
    # A correction names the use it replaces (quantity 0: the use did not happen); see Receipt.
    corrects_use_id: int | None = Field(default=None, foreign_key="kitchen_use.id", unique=True, index=True)
    correction_reason: str | None = Field(default=None, max_length=500)
