"""Small factories that build records through the services (never raw inserts),
so every test world also has a valid custody log."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlmodel import Session

from canteens import receipt_checks
from canteens import service as canteen_service
from canteens.models import OrderLine, School, Shipment
from canteens.schemas import OrderCreate, OrderLineIn, ReceiptCheckCreate, SchoolCreate, ShipmentCreate
from inspections import rapid_tests
from suppliers import service as supplier_service
from suppliers.certificates import alternatives
from suppliers.credit_code import make_credit_code
from suppliers.models import Batch, Product, Supplier
from suppliers.schemas import BatchCreate, CertificateIn, LicenceCreate, ProductCreate, SupplierCreate
from tests.helpers import TEST_PASSWORD
from trace.accounts import system_actor, token_create, user_create
from trace.clock import local_today
from trace.custody import Actor
from trace.models import Role, User
from trace.passwords import password_hash

_counter = itertools.count(1)


def today() -> date:
    return local_today()


def days_ago(n: int) -> date:
    return local_today() - timedelta(days=n)


def make_user(session: Session, role: Role, **overrides: Any) -> User:
    n = next(_counter)
    fields = {"username": f"{role.value}-{n}", "display_name": f"测试用户{n}", "role": role}
    fields.update(overrides)
    return user_create(session, actor=system_actor(), **fields)


@lru_cache(maxsize=4)
def _hash_of(password: str) -> str:
    # argon2id is slow on purpose: hash each test password once per run.
    return password_hash(password)


def make_person(session: Session, role: Role, *, password: str = TEST_PASSWORD, must_change: bool = False,
                **overrides: Any) -> User:
    """A user who can sign in on the web with ``password`` (a one-time one with ``must_change``).

    Suppliers and canteen staff need ``supplier_id=`` / ``school_id=`` as for make_user.
    """
    return make_user(session, role, password_hash=_hash_of(password), must_change_password=must_change,
                     **overrides)


def make_supplier(session: Session, **overrides: Any) -> Supplier:
    n = next(_counter)
    fields: dict[str, Any] = {
        "name": f"示例测试食材配送有限公司{n}",
        "credit_code": make_credit_code("91", "370114", f"T{n:07d}"),
        "contact": "王示例", "phone": "0531-83219999",
        "licences": [LicenceCreate(kind="food_business", number=f"JY1370114{n:07d}",
                                   issued_on=days_ago(400), expires_on=today() + timedelta(days=1400))],
    }
    fields.update(overrides)
    return supplier_service.supplier_create(session, actor=system_actor(), data=SupplierCreate(**fields))


def make_product(session: Session, **overrides: Any) -> Product:
    n = next(_counter)
    fields: dict[str, Any] = {
        "code": f"P-TEST-{n}", "name": f"东北大米{n}", "category": "粮食", "unit": "kg",
        "shelf_life_days": 365, "storage": "ambient", "conversions": {"袋": Decimal("25")},
    }
    fields.update(overrides)
    return supplier_service.product_create(session, actor=system_actor(), data=ProductCreate(**fields))


def make_school(session: Session, **overrides: Any) -> School:
    n = next(_counter)
    fields: dict[str, Any] = {
        "code": f"ZQ-T{n}", "name": f"示例测试第{n}小学", "town": "明水街道", "town_code": "370114001000",
        "kind": "小学", "students": 1200, "staff": 80, "canteen_name": f"示例测试第{n}小学食堂",
        "canteen_licence": f"JY3370114{n:06d}1", "canteen_licence_issued": days_ago(300),
        "canteen_licence_expires": today() + timedelta(days=1500),
    }
    fields.update(overrides)
    return canteen_service.school_create(session, actor=system_actor(), data=SchoolCreate(**fields))


def make_batch(session: Session, supplier: Supplier, product: Product, actor: Actor, **overrides: Any) -> Batch:
    n = next(_counter)
    fields: dict[str, Any] = {
        "product_id": product.id, "lot_code": f"LOT{n:05d}", "production_date": days_ago(5),
        "quantity": Decimal("1000"), "unit": product.unit, "origin": "黑龙江省五常市",
        "certificates": papers_for(product, n),
    }
    fields.update(overrides)
    return supplier_service.batch_register(session, actor=actor, data=BatchCreate(**fields))


def papers_for(product: Product, n: int = 0) -> list[CertificateIn]:
    """Every paper the catalogue's table asks of the product, each naming its issuer."""
    return [CertificateIn(kind=alternatives(requirement)[0], number=f"T{n:05d}-{i}", issued_by="示例测试开具单位",
                          issued_on=days_ago(5))
            for i, requirement in enumerate(supplier_service.product_required_papers(product))]


def make_order_line(session: Session, school: School, supplier: Supplier, product: Product,
                    quantity: Decimal = Decimal("1000"), unit: str = "kg") -> OrderLine:
    n = next(_counter)
    order = canteen_service.order_create(session, actor=system_actor(), data=OrderCreate(
        order_number=f"ZQCG-T{n:06d}", school_id=school.id, supplier_id=supplier.id, delivery_date=today(),
        lines=[OrderLineIn(line_number=1, product_id=product.id, quantity=quantity, unit=unit, unit_price_fen=500)],
    ))
    return canteen_service.order_current_revision(session, order.id)[1][0]


# A negative reading of each rapid test (GB/T 5009.199 inhibition %; a clenbuterol card's T/C ratio).
NEGATIVE_READINGS = {rapid_tests.ENZYME_INHIBITION: Decimal("12"), rapid_tests.CLENBUTEROL: Decimal("1.6")}


def check_fields(session: Session, shipment: Any, accepted: str, rejected: str = "0",
                 **overrides: Any) -> dict[str, Any]:
    """What a careful first checker enters: every paper on file ticked, a negative rapid test where the
    product calls for one, and "returned" for anything rejected (each overridable; a rejection's
    reason is the caller's)."""
    batch = supplier_service.batch_get(session, shipment.batch_id)
    product = supplier_service.product_get(session, batch.product_id)
    fields: dict[str, Any] = {
        "shipment_id": shipment.id, "accepted_quantity": Decimal(accepted), "rejected_quantity": Decimal(rejected),
        "unit": product.unit, "receipt_date": today(),
        "certificates_checked": [c.kind for c in supplier_service.certificates_of(session, batch.id)],
        "rapid_test_value": NEGATIVE_READINGS.get(product.rapid_test) if Decimal(accepted) > 0 else None,
        "rejected_disposal": "returned" if Decimal(rejected) > 0 else None,
    }
    fields.update(overrides)
    return fields


def receive_checked(session: Session, opener: User, confirmer: User, fields: dict[str, Any]):
    """A receipt as the platform writes one: ``opener`` opens the check, ``confirmer`` confirms it."""
    check = receipt_checks.check_open(session, actor=Actor.of(opener), data=ReceiptCheckCreate(**fields))
    return receipt_checks.check_confirm(session, actor=Actor.of(confirmer), check_id=check.id)


@dataclass
class World:
    """One supplier, one product, one school, their users (two canteen staff: receipts take two
    people), a batch and an order line."""

    admin: User
    supplier: Supplier
    supplier_user: User
    product: Product
    school: School
    staff: User
    inspector: User
    batch: Batch
    line: OrderLine
    staff2: User

    def actor(self, user: User) -> Actor:
        return Actor.of(user)

    def ship(self, session: Session, quantity: str = "400", **overrides: Any) -> Shipment:
        fields: dict[str, Any] = {"batch_id": self.batch.id, "order_line_id": self.line.id,
                                  "quantity": Decimal(quantity), "unit": "kg", "ship_date": days_ago(1)}
        fields.update(overrides)
        return canteen_service.shipment_create(session, actor=self.actor(self.supplier_user),
                                               data=ShipmentCreate(**fields))

    def receive(self, session: Session, shipment: Shipment, accepted: str, rejected: str = "0", **overrides: Any):
        """A two-person receipt: ``staff`` opens the check, ``staff2`` confirms it."""
        fields = check_fields(session, shipment, accepted, rejected, **{"unit": "kg", **overrides})
        return receive_checked(session, self.staff, self.staff2, fields)

    def open_check(self, session: Session, shipment: Shipment, accepted: str, rejected: str = "0", *,
                   by: User | None = None, **overrides: Any):
        fields = check_fields(session, shipment, accepted, rejected, **{"unit": "kg", **overrides})
        return receipt_checks.check_open(session, actor=self.actor(by or self.staff),
                                         data=ReceiptCheckCreate(**fields))


def make_world(session: Session, **product_overrides: Any) -> World:
    supplier = make_supplier(session)
    product = make_product(session, **product_overrides)
    school = make_school(session)
    supplier_user = make_user(session, Role.supplier, supplier_id=supplier.id)
    world = World(
        admin=make_user(session, Role.admin),
        supplier=supplier,
        supplier_user=supplier_user,
        product=product,
        school=school,
        staff=make_user(session, Role.canteen_staff, school_id=school.id),
        inspector=make_user(session, Role.inspector),
        batch=make_batch(session, supplier, product, Actor.of(supplier_user)),
        line=make_order_line(session, school, supplier, product),
        staff2=make_user(session, Role.canteen_staff, school_id=school.id),
    )
    session.commit()
    return world


def bearer(session: Session, user: User) -> dict[str, str]:
    token = token_create(session, user=user, name="test")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def receive_by_api(client: Any, session: Session, world: World, shipment_id: int, accepted: str, rejected: str = "0",
                   *, opener: User | None = None, confirmer: User | None = None, **overrides: Any) -> Any:
    """A two-person receipt through the API: the world's staff opens the check, staff2 confirms it.
    The response of the first step refused, else the confirmation's (the receipt)."""
    shipment = canteen_service.shipment_get(session, shipment_id)
    body = jsonable_encoder(check_fields(session, shipment, accepted, rejected, **{"unit": "kg", **overrides}))
    opened = client.post("/api/v1/receipt-checks", json=body, headers=bearer(session, opener or world.staff))
    if opened.status_code != 201:
        return opened
    return client.post(f"/api/v1/receipt-checks/{opened.json()['id']}/confirm",
                       headers=bearer(session, confirmer or world.staff2))
