"""The reference data a demo stands on (accounts, suppliers, products, schools), as loaded.

Its own module so that the loader, which builds it, and the activity generator, which
reads it, both import it and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from canteens.models import School
from seeds.catalogue import SeedProduct, SeedSchool, SeedSupplier
from suppliers.models import Product, Supplier
from trace.models import User


@dataclass(frozen=True)
class SeededSupplier:
    number: int  # 1-based position in suppliers.json; names the account supplier-<n>
    seed: SeedSupplier
    supplier: Supplier
    user: User


@dataclass(frozen=True)
class SeededSchool:
    seed: SeedSchool
    school: School
    staff: tuple[User, User]


@dataclass(frozen=True)
class SeedReference:
    admin: User
    inspector: User
    suppliers: list[SeededSupplier]
    products: dict[str, tuple[SeedProduct, Product]]  # by product code
    schools: list[SeededSchool]
