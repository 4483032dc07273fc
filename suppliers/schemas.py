"""Request and response shapes for suppliers, licences, products and batches."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from suppliers.certificates import PaperSet
from suppliers.models import LicenceKind, ProductCategory, StorageCondition, SupplierKind, SupplierStatus
from trace.errors import ReviewWarning
from trace.fields import RowId

Positive = Field(gt=0, max_digits=15, decimal_places=3)
UnitName = Annotated[str, Field(min_length=1, max_length=10)]
# Base units in one package (a 25 kg 袋); a million keeps every converted amount storable.
PackageFactor = Annotated[Decimal, Field(gt=0, le=1_000_000, max_digits=10, decimal_places=3)]


class LicenceCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"kind": "food_production", "number": "SC10137011400015", "issued_on": "2023-03-01",
         "expires_on": "2028-02-28"},
        {"kind": "prepackaged_filing", "number": "YB13701140000012", "issued_on": "2024-05-20"}]})

    kind: LicenceKind
    number: str = Field(max_length=30, examples=["SC10137011400015"])
    issued_on: date = Field(description="发证日期, or the filing date of a 备案")
    expires_on: date | None = Field(default=None, description="有效期至 as printed (at most five years); "
                                    "required for a licence, absent for a filing")


class LicencePublic(LicenceCreate):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 1, "supplier_id": 1, "kind": "food_production", "number": "SC10137011400015",
        "issued_on": "2023-03-01", "expires_on": "2028-02-28", "kind_zh": "食品生产许可证",
        "category_zh": "粮食加工品", "region_zh": "山东省济南市章丘区"}]})
    id: int
    supplier_id: int
    kind_zh: str = Field(default="", description="The licence's name: 食品生产许可证, 食品经营许可证, 仅销售预包装食品备案")
    category_zh: str | None = Field(default=None, description="SC food category or JY 主体业态, by name")
    region_zh: str | None = Field(default=None, description="The issuing region (GB/T 2260) by name")


class CreditCodeInfo(BaseModel):
    """What a credit code says about its holder (GB 32100, domain.md §1)."""

    department_zh: str = Field(description="登记管理部门")
    category_zh: str | None = Field(description="机构类别")
    region: str = Field(description="登记管理机关行政区划码 (GB/T 2260)")
    region_zh: str = Field(description="Where the code was registered, e.g. 山东省济南市章丘区")
    inner_check_passed: bool = Field(description="GB 11714 organisation-code check; failing is a warning")


class SupplierCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "示例明水粮油有限公司", "kind": "licensed", "credit_code": "91370114MA3C4D5E75",
        "contact": "王示例", "phone": "0531-83210001", "address": "济南市章丘区明水街道示例路 1 号",
        "licences": [{"kind": "food_production", "number": "SC10137011400015",
                      "issued_on": "2023-03-01", "expires_on": "2028-02-28"}],
    }]})

    name: str = Field(min_length=2, max_length=200)
    kind: SupplierKind = Field(default=SupplierKind.licensed, description=(
        "licensed: produces or trades under an SC/JY licence or a filing; edible_agricultural: sells only "
        "食用农产品, needs no licence (Food Safety Law) and holds none"))
    credit_code: str = Field(description="统一社会信用代码 (GB 32100-2015), 18 characters")
    contact: str = Field(min_length=1, max_length=50)
    phone: str = Field(min_length=3, max_length=30)
    address: str = Field(default="", max_length=200)
    licences: list[LicenceCreate] = Field(default_factory=list, max_length=50)


class SupplierPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: SupplierKind
    kind_zh: str = ""
    credit_code: str
    credit_code_info: CreditCodeInfo | None = None
    contact: str
    phone: str
    address: str
    status: SupplierStatus
    dishonest: bool
    status_note: str
    licences: list[LicencePublic] = []
    review_warnings: list[ReviewWarning] = Field(default=[], description="For a reviewer: checked by hand, not refused")


class SupplierStanding(BaseModel):
    """Admin change to a supplier's standing: suspension or the 严重违法失信名单 flag."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "suspended", "note": "2025年11月抽检不合格，暂停供货待整改"},
        {"dishonest": True, "note": "列入严重违法失信名单（示例）"}]})

    status: SupplierStatus | None = None
    dishonest: bool | None = None
    note: str = Field(min_length=1, max_length=500, description="Why (kept in the custody log)")


class ProductCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "P-RICE-01", "name": "东北大米（粳米）", "category": "粮食", "unit": "kg",
        "shelf_life_days": 365, "storage": "ambient", "gtin": None, "conversions": {"袋": 25},
    }, {
        "code": "P-PORK-01", "name": "猪前腿肉（冷鲜）", "category": "肉类", "unit": "kg", "shelf_life_days": 3,
        "storage": "chilled", "storage_min_celsius": 0, "storage_max_celsius": 4, "papers": "pork",
    }]})

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    category: ProductCategory
    unit: str = Field(min_length=1, max_length=10, description="Base unit, e.g. kg or L")
    shelf_life_days: int = Field(gt=0, le=3650)
    storage: StorageCondition
    gtin: str | None = Field(default=None, description="GTIN-8/12/13/14; assigned by the platform if absent")
    conversions: dict[UnitName, PackageFactor] = Field(default_factory=dict, max_length=20,
                                                  description="Package unit → base units")
    required_certificate: str | None = Field(
        default=None, max_length=40, description="One more paper this product needs beyond its paper set")
    rapid_test: str | None = None
    papers: PaperSet | None = Field(
        default=None, description="Which papers its lots carry (domain.md §5); by default from the category")
    storage_min_celsius: float | None = Field(default=None, ge=-60, le=60,
                                              description="Declared storage range, low end (°C)")
    storage_max_celsius: float | None = Field(default=None, ge=-60, le=60,
                                              description="Declared storage range, high end (°C)")
    cold_chain: bool | None = Field(
        default=None, description="Needs an arrival temperature; by default chilled and frozen goods except "
                                  "vegetables and fruit (domain.md §6)")


class ProductPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    category: ProductCategory
    unit: str
    shelf_life_days: int
    storage: StorageCondition
    gtin: str
    gtin_assigned: bool
    required_certificate: str | None
    rapid_test: str | None
    papers: PaperSet
    required_papers: list[str] = []
    storage_min_celsius: float | None
    storage_max_celsius: float | None
    cold_chain: bool
    conversions: dict[str, Decimal] = {}


class CertificateIn(BaseModel):
    kind: str = Field(min_length=1, max_length=40, examples=["承诺达标合格证"])
    number: str = Field(min_length=1, max_length=64)
    issued_by: str | None = Field(default=None, max_length=200)
    issued_on: date | None = None


class CertificatePublic(CertificateIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class BatchCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "product_id": 1, "lot_code": "MS20250901A", "production_date": "2025-09-01",
        "quantity": "500", "unit": "kg", "origin": "黑龙江省五常市",
        "certificates": [{"kind": "检验报告", "number": "JC-2025-0901", "issued_by": "示例粮油质检中心"}],
    }]})

    supplier_id: RowId | None = Field(default=None, description="Needed only when an admin registers for a supplier")
    product_id: RowId
    lot_code: str = Field(min_length=1, max_length=20, description="GS1 AI 10: up to 20 characters of set 82")
    production_date: date
    expiry_date: date | None = Field(default=None, description="Defaults to production date + shelf life")
    quantity: Decimal = Positive
    unit: str = Field(min_length=1, max_length=10)
    origin: str = Field(min_length=1, max_length=200)
    certificates: list[CertificateIn] = Field(default_factory=list, max_length=50)


class BatchPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    supplier_id: int
    product_id: int
    gtin: str
    lot_code: str
    production_date: date
    expiry_date: date
    quantity: Decimal
    unit: str
    shipped_quantity: Decimal
    origin: str
    status: str
    registered_at: datetime
    certificates: list[CertificatePublic] = []
