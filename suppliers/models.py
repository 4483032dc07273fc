"""Suppliers, their licences, the bulk-ingredient catalogue, and batches with their papers and status."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from trace.db import Quantity, UTCDateTime, utcnow
from trace.i18n import N_


class SupplierStatus(StrEnum):
    active = "active"
    suspended = "suspended"


class SupplierKind(StrEnum):
    # Produces or trades food under a 食品生产/经营许可证 or a 备案 (domain.md §2).
    licensed = "licensed"
    # Sells only edible agricultural products (食用农产品): the Food Safety Law requires no
    # licence for it (§3.1 第 65 条 records apply instead), so none is asked for.
    edible_agricultural = "edible_agricultural"


SUPPLIER_KIND_LABELS = {
    SupplierKind.licensed: N_("Licensed food producer or trader"),
    SupplierKind.edible_agricultural: N_("Seller of edible agricultural products"),
}


class Supplier(SQLModel, table=True):
    __tablename__ = "supplier"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: SupplierKind = Field(default=SupplierKind.licensed, max_length=20)
    credit_code: str = Field(max_length=18, unique=True)
    contact: str = Field(max_length=50)
    phone: str = Field(max_length=30)
    address: str = Field(default="", max_length=200)
    status: SupplierStatus = Field(default=SupplierStatus.active, max_length=20)
    # 严重违法失信名单: a listed supplier may not supply schools.
    dishonest: bool = False
    status_note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LicenceKind(StrEnum):
    food_production = "food_production"  # 食品生产许可证 SC…
    food_business = "food_business"  # 食品经营许可证 JY…
    prepackaged_filing = "prepackaged_filing"  # 仅销售预包装食品备案: a filing, no term


LICENCE_KIND_LABELS = {
    LicenceKind.food_production: N_("Food production licence"),
    LicenceKind.food_business: N_("Food business licence"),
    LicenceKind.prepackaged_filing: N_("Prepackaged food sales filing"),
}


class Licence(SQLModel, table=True):
    __tablename__ = "licence"
    __table_args__ = (UniqueConstraint("kind", "number", name="uq_licence_kind_number"),)

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    kind: LicenceKind = Field(max_length=20)
    number: str = Field(max_length=20)
    issued_on: date
    # None only for a filing, which has no term.
    expires_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProductCategory(StrEnum):
    grain = "粮食"
    oil = "食用油"
    meat = "肉类"
    poultry_egg = "禽蛋"
    aquatic = "水产"
    vegetable = "蔬菜"
    fruit = "水果"
    dairy = "乳制品"
    soy = "豆制品"
    seasoning = "调味品"


class StorageCondition(StrEnum):
    ambient = "ambient"
    chilled = "chilled"
    frozen = "frozen"


STORAGE_LABELS = {
    StorageCondition.ambient: N_("Ambient"),
    StorageCondition.chilled: N_("Chilled"),
    StorageCondition.frozen: N_("Frozen"),
}


class Product(SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=100)
    category: ProductCategory = Field(max_length=10)
    unit: str = Field(max_length=10)
    shelf_life_days: int
    storage: StorageCondition = Field(max_length=10)
    # The producer's GTIN-14 or one the platform assigned from its company prefix.
    gtin: str = Field(max_length=14, unique=True)
    gtin_assigned: bool = False
    # One extra paper this product needs beyond its paper set (kept for existing clients).
    required_certificate: str | None = Field(default=None, max_length=40)
    rapid_test: str | None = Field(default=None, max_length=40)
    # The row of suppliers.certificates.PAPER_SETS its lots must carry (domain.md §5).
    papers: str = Field(default="none", max_length=20)
    # Declared storage range (domain.md §6); the arrival limits follow from it.
    storage_min_celsius: float | None = None
    storage_max_celsius: float | None = None
    cold_chain: bool = False


class ProductUnit(SQLModel, table=True):
    """A declared package unit and how many base units it holds (袋 = 25 kg)."""

    __tablename__ = "product_unit"
    __table_args__ = (UniqueConstraint("product_id", "unit", name="uq_product_unit"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    unit: str = Field(max_length=10)
    factor: Decimal = Field(sa_type=Quantity)


class BatchStatus(StrEnum):
    active = "active"
    on_hold = "on_hold"
    recalled = "recalled"


BATCH_STATUS_LABELS = {
    BatchStatus.active: N_("In use"),
    BatchStatus.on_hold: N_("Sealed (on hold)"),
    BatchStatus.recalled: N_("Recalled"),
}


# What an inspector does to a batch. 封存 (sealing) is a market-supervision measure, and its
# end is 解除封存, not a bare "release".
BATCH_ACTION_LABELS = {
    "hold": N_("Seal (hold)"),
    "release": N_("Lift the seal (release)"),
    "recall": N_("Recall"),
}


class Batch(SQLModel, table=True):
    """A lot of one product from one supplier: the unit of traceability."""

    __tablename__ = "batch"
    __table_args__ = (
        # A GS1 Digital Link (GTIN + lot) must identify exactly one batch.
        UniqueConstraint("gtin", "lot_code", name="uq_batch_gtin_lot"),
        # An inspector reads a lot code off a sack, not its GTIN: the search is by lot alone.
        Index("ix_batch_lot_code", "lot_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    gtin: str = Field(max_length=14)
    lot_code: str = Field(max_length=20)
    production_date: date
    expiry_date: date
    quantity: Decimal = Field(sa_type=Quantity)
    unit: str = Field(max_length=10)
    # Running total of what left the supplier; kept in step with shipments in the
    # same transaction so the conservation rule is one conditional UPDATE.
    shipped_quantity: Decimal = Field(default=Decimal("0.000"), sa_type=Quantity)
    origin: str = Field(max_length=200)
    status: BatchStatus = Field(default=BatchStatus.active, max_length=20)
    registered_by: int = Field(foreign_key="app_user.id")
    registered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BatchCertificate(SQLModel, table=True):
    """Papers that travel with a batch (承诺达标合格证, 动物检疫合格证明, test reports…)."""

    __tablename__ = "batch_certificate"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    kind: str = Field(max_length=40)
    number: str = Field(max_length=64)
    issued_by: str | None = Field(default=None, max_length=200)
    issued_on: date | None = None
