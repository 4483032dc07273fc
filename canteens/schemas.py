"""Request and response shapes for schools, orders, shipments, receipts, stock and use."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from canteens.models import CheckStatus, Disposal, Meal, SchoolKind
from suppliers.models import BatchStatus
from trace.errors import ReviewWarning
from trace.fields import RowId

Amount = Field(ge=0, max_digits=15, decimal_places=3)


class SchoolCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "ZQ-S01", "name": "示例明水第一小学", "town": "明水街道", "town_code": "370114001000",
        "kind": "小学", "students": 2100, "staff": 130, "canteen_name": "示例明水第一小学食堂",
        "canteen_licence": "JY33701140000019", "canteen_licence_issued": "2023-08-01",
        "canteen_licence_expires": "2028-07-31",
    }]})

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=2, max_length=100)
    town: str = Field(min_length=2, max_length=40)
    town_code: str = Field(pattern=r"^370114\d{6}$", description="12-digit statistical code in 章丘区")
    kind: SchoolKind
    students: int = Field(ge=0, le=100_000)
    staff: int = Field(ge=0, le=10_000)
    canteen_name: str = Field(min_length=2, max_length=100)
    canteen_licence: str = Field(description="食品经营许可证 JY…; a school canteen is 主体业态 3 (单位食堂)")
    canteen_licence_issued: date
    canteen_licence_expires: date


class CanteenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    licence_number: str
    licence_issued_on: date
    licence_expires_on: date
    licence_kind_zh: str = Field(default="", description="The licence's name: 食品经营许可证")
    licence_business_type_zh: str | None = Field(default=None, description="主体业态 (a school canteen: 单位食堂)")
    licence_region_zh: str | None = Field(default=None, description="The issuing region (GB/T 2260) by name")


class SchoolPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    town: str
    town_code: str
    kind: SchoolKind
    students: int
    staff: int
    canteen: CanteenPublic | None = None
    review_warnings: list[ReviewWarning] = Field(default=[], description="For a reviewer: checked by hand, not refused")


class OrderLineIn(BaseModel):
    line_number: int = Field(ge=1, le=9999)
    product_id: RowId
    quantity: Decimal = Field(gt=0, max_digits=15, decimal_places=3)
    unit: str = Field(min_length=1, max_length=10)
    unit_price_fen: int = Field(ge=0, le=10**12, description="Price per ordered unit in 分 (0.01 元)")


class OrderCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "order_number": "ZQCG-20250901-0001", "school_id": 1, "supplier_id": 1, "delivery_date": "2025-09-01",
        "lines": [{"line_number": 1, "product_id": 1, "quantity": "20", "unit": "袋", "unit_price_fen": 12500}],
    }]})

    order_number: str = Field(min_length=1, max_length=40)
    school_id: RowId
    supplier_id: RowId
    delivery_date: date
    note: str = Field(default="", max_length=500)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _line_numbers_unique(self) -> OrderCreate:
        numbers = [line.line_number for line in self.lines]
        if len(numbers) != len(set(numbers)):
            raise ValueError("line numbers must be unique within an order")
        return self


class OrderRevise(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "delivery_date": "2025-09-01", "note": "临时调整就餐人数",
        "lines": [{"line_number": 1, "product_id": 1, "quantity": "18", "unit": "袋", "unit_price_fen": 12500}],
    }]})

    delivery_date: date
    note: str = Field(min_length=1, max_length=500, description="Why the order changed")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)


class OrderLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    line_number: int
    product_id: int
    quantity: Decimal
    unit: str
    ordered_quantity: Decimal
    ordered_unit: str
    unit_price_fen: int


class OrderRevisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    revision: int
    delivery_date: date
    note: str
    recorded_by: int | None
    recorded_at: datetime
    lines: list[OrderLinePublic]


class OrderPublic(BaseModel):
    id: int
    order_number: str
    school_id: int
    supplier_id: int
    current_revision: int
    revisions: list[OrderRevisionPublic]


class ShipmentCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "batch_id": 1, "order_line_id": 1, "quantity": "20", "unit": "袋", "ship_date": "2025-09-01",
    }]})

    batch_id: RowId
    order_line_id: RowId = Field(description="The order line (of the order's current revision) this delivers")
    quantity: Decimal = Field(gt=0, max_digits=15, decimal_places=3)
    unit: str = Field(min_length=1, max_length=10)
    ship_date: date


class ShipmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    batch_id: int
    school_id: int
    supplier_id: int
    order_line_id: int
    quantity: Decimal
    unit: str
    ship_date: date
    accounted_quantity: Decimal
    shipped_at: datetime


class ReceiptCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "shipment_id": 1, "accepted_quantity": "500", "rejected_quantity": "0", "unit": "kg",
        "receipt_date": "2025-09-01", "arrival_temperature_celsius": None,
    }]})

    shipment_id: RowId
    accepted_quantity: Decimal = Amount
    rejected_quantity: Decimal = Amount
    unit: str = Field(min_length=1, max_length=10)
    rejection_reason: str = Field(default="", max_length=500)
    arrival_temperature_celsius: float | None = Field(
        default=None, ge=-60, le=60, description="Required for chilled and frozen goods")
    receipt_date: date

    @model_validator(mode="after")
    def _something_counted(self) -> ReceiptCreate:
        if self.accepted_quantity + self.rejected_quantity <= 0:
            raise ValueError("accepted plus rejected quantity must be positive")
        return self


class ReceiptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    shipment_id: int
    batch_id: int
    school_id: int
    accepted_quantity: Decimal
    rejected_quantity: Decimal
    unit: str
    rejection_reason: str
    arrival_temperature_celsius: float | None
    receipt_date: date
    received_by: int = Field(description="The first checker, who opened the receipt check")
    received_at: datetime
    event_id: str
    corrects_receipt_id: int | None = Field(default=None, description="The receipt this one corrects (更正记录)")
    corrected_by_receipt_id: int | None = Field(
        default=None, description="The receipt that corrects this one (已更正): only the newest counts")
    correction_reason: str | None = Field(default=None, description="Why, on a correction")
    confirmed_by: int | None = Field(default=None, description="The second checker (双人联检)")
    check_id: int | None = None
    rejected_disposal: Disposal | None = Field(default=None, description="returned or destroyed on the spot")
    certificates_checked: list[str] = Field(default=[], description="Papers the checkers ticked as seen (索证索票)")

    @field_validator("certificates_checked", mode="before")
    @classmethod
    def _papers_from_json(cls, value: object) -> object:
        return _json_list(value)


def _json_list(value: object) -> object:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


class ReceiptCheckCreate(BaseModel):
    """The first checker's 验收单: what they found at the door. It counts once a second staff
    member of the same school confirms it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "shipment_id": 1, "accepted_quantity": "480", "rejected_quantity": "20", "unit": "kg",
        "rejection_reason": "包装破损", "rejected_disposal": "returned", "arrival_temperature_celsius": None,
        "certificates_checked": ["检验报告"], "rapid_test_value": None, "receipt_date": "2025-09-01",
    }]})

    shipment_id: RowId
    accepted_quantity: Decimal = Amount
    rejected_quantity: Decimal = Amount
    unit: str = Field(min_length=1, max_length=10)
    rejection_reason: str = Field(default="", max_length=500)
    rejected_disposal: Disposal | None = Field(
        default=None, description="Required when rejecting: returned or destroyed on the spot (当场退回或销毁)")
    arrival_temperature_celsius: float | None = Field(
        default=None, ge=-60, le=60, description="Required for chilled and frozen goods")
    certificates_checked: list[str] = Field(
        default=[], max_length=20, description="The papers seen with the goods (索证索票); accepting needs every one "
                                               "the product's paper set asks for")
    rapid_test_value: Decimal | None = Field(
        default=None, ge=0, max_digits=15, decimal_places=3,
        description="The reading of the product's rapid test (e.g. inhibition %), taken before acceptance; "
                    "the verdict is computed")
    rapid_test_retests: list[Decimal] = Field(
        default=[], max_length=5,
        description="Re-tests of a positive reading by the same method, in order (§4.1)")
    receipt_date: date

    @model_validator(mode="after")
    def _something_counted(self) -> ReceiptCheckCreate:
        if self.accepted_quantity + self.rejected_quantity <= 0:
            raise ValueError("accepted plus rejected quantity must be positive")
        if any(not (0 <= v < 10**12) for v in self.rapid_test_retests):
            raise ValueError("a re-test reading must be a number from 0")
        return self


class ReceiptCheckPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    shipment_id: int
    batch_id: int
    school_id: int
    status: CheckStatus = Field(description="open (待第二人复核), confirmed or withdrawn")
    accepted_quantity: Decimal
    rejected_quantity: Decimal
    unit: str
    rejection_reason: str
    rejected_disposal: Disposal | None
    arrival_temperature_celsius: float | None
    temperature_out_of_range: bool
    certificates_checked: list[str]
    rapid_test_id: int | None
    receipt_date: date
    opened_by: int
    opened_at: datetime = Field(description="When it happened on the device")
    recorded_at: datetime = Field(description="When the server recorded it")
    closed_by: int | None
    closed_at: datetime | None
    withdraw_reason: str
    receipt_id: int | None = Field(default=None, description="The receipt its confirmation wrote")

    @field_validator("certificates_checked", mode="before")
    @classmethod
    def _papers_from_json(cls, value: object) -> object:
        return _json_list(value)


class ReceiptCheckWithdraw(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "数量点错，重新验收"}]})
    reason: str = Field(min_length=2, max_length=500)


class ExpectedShipmentPublic(BaseModel):
    """A shipment expected at the school: against its order line, with what is still to receive."""

    shipment_id: int
    batch_id: int
    lot_code: str
    gtin: str
    product_id: int
    product_name: str
    supplier_id: int
    supplier_name: str
    order_number: str
    order_line: int
    delivery_date: date
    ordered_quantity: Decimal
    ordered_unit: str
    shipped_quantity: Decimal
    unit: str
    outstanding_quantity: Decimal = Field(description="Shipped and not yet received or rejected")
    ship_date: date
    production_date: date
    expiry_date: date
    days_to_expiry: int
    batch_status: BatchStatus
    cold_chain: bool
    rapid_test: str | None = Field(description="The rapid test the product calls for, if any")
    open_check_id: int | None = Field(default=None, description="A check waiting for its second checker")


class UseCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "batch_id": 1, "quantity": "12.5", "unit": "kg", "use_date": "2025-09-01", "meal": "lunch",
        "dish": "米饭",
    }]})

    school_id: RowId | None = Field(default=None, description="Needed only when an admin records for a school")
    batch_id: RowId
    quantity: Decimal = Field(gt=0, max_digits=15, decimal_places=3)
    unit: str = Field(min_length=1, max_length=10)
    use_date: date
    meal: Meal
    dish: str = Field(default="", max_length=100)


class UsePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    school_id: int
    batch_id: int
    quantity: Decimal
    unit: str
    use_date: date
    meal: Meal
    dish: str
    used_by: int
    used_at: datetime
    event_id: str
    corrects_use_id: int | None = Field(default=None, description="The use this one corrects (更正记录)")
    corrected_by_use_id: int | None = Field(
        default=None, description="The use that corrects this one (已更正): only the newest counts")
    correction_reason: str | None = Field(default=None, description="Why, on a correction")


class StockPublic(BaseModel):
    """What a canteen holds of one lot, and whether it may be used."""

    model_config = ConfigDict(from_attributes=True)
    school_id: int
    batch_id: int
    received_quantity: Decimal
    used_quantity: Decimal
    on_hand: Decimal = Field(description="Received minus used, whatever the lot's status: held or recalled "
                                         "stock is still in the store room until it is dealt with")
    unit: str
    product_id: int
    supplier_id: int
    gtin: str
    lot_code: str
    status: BatchStatus = Field(description="active, on_hold (封存) or recalled (召回)")
    expiry_date: date
    days_to_expiry: int = Field(description="Days from today (local) to the expiry date; negative once expired")
    usable: bool = Field(description="May be used today: active and not past its expiry date")
