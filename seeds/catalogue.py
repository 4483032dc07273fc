"""Read the demo seed files in ``seeds/data`` into plain, typed records.

No database here: the seed loader hands these records to the domain services, which apply
the same rules as for any user input. Attribute names follow the tables in
``suppliers.models`` where the JSON field names are shorter (``issued`` → ``issued_on``,
``note`` → ``status_note``). A product names its paper set (``papers``, domain.md §5) and
may declare its storage range and whether it is cold-chain food (§6). Quantities are
``Decimal`` so that 1.9 L stays 1.9 L.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class SeedSchool:
    code: str
    name: str
    town: str
    town_code: str
    kind: str
    students: int
    staff: int
    canteen_name: str
    canteen_licence: str
    canteen_licence_issued_on: date
    canteen_licence_expires_on: date
    contact: str
    phone: str


@dataclass(frozen=True)
class SeedLicence:
    kind: str  # food_production, food_business or prepackaged_filing
    number: str
    issued_on: date
    expires_on: date | None  # None for a filing, which has no term


@dataclass(frozen=True)
class SeedSupplier:
    name: str
    kind: str  # licensed, or edible_agricultural (sells only 食用农产品 and holds no licence)
    credit_code: str
    contact: str
    phone: str
    address: str
    categories: tuple[str, ...]
    licences: tuple[SeedLicence, ...]
    status: str
    dishonest: bool
    status_note: str


@dataclass(frozen=True)
class SeedProduct:
    code: str
    name: str
    category: str
    unit: str
    conversions: dict[str, Decimal]
    shelf_life_days: int
    storage: str
    gtin: str | None
    papers: str
    storage_min_celsius: float | None
    storage_max_celsius: float | None
    cold_chain: bool | None
    rapid_test: str | None


def _read(name: str, data_dir: Path | None) -> list[dict[str, Any]]:
    path = (data_dir or DATA_DIR) / name
    with path.open(encoding="utf-8") as f:
        rows: list[dict[str, Any]] = json.load(f, parse_float=Decimal)
    return rows


def load_schools(data_dir: Path | None = None) -> list[SeedSchool]:
    return [
        SeedSchool(
            code=row["code"],
            name=row["name"],
            town=row["town"],
            town_code=row["town_code"],
            kind=row["kind"],
            students=row["students"],
            staff=row["staff"],
            canteen_name=row["canteen_name"],
            canteen_licence=row["canteen_licence"],
            canteen_licence_issued_on=date.fromisoformat(row["canteen_licence_issued"]),
            canteen_licence_expires_on=date.fromisoformat(row["canteen_licence_expires"]),
            contact=row["contact"],
            phone=row["phone"],
        )
        for row in _read("schools.json", data_dir)
    ]


def load_suppliers(data_dir: Path | None = None) -> list[SeedSupplier]:
    return [
        SeedSupplier(
            name=row["name"],
            kind=row["kind"],
            credit_code=row["credit_code"],
            contact=row["contact"],
            phone=row["phone"],
            address=row["address"],
            categories=tuple(row["categories"]),
            licences=tuple(
                SeedLicence(
                    kind=licence["kind"],
                    number=licence["number"],
                    issued_on=date.fromisoformat(licence["issued"]),
                    expires_on=date.fromisoformat(licence["expires"]) if licence["expires"] else None,
                )
                for licence in row["licences"]
            ),
            status=row["status"],
            dishonest=row["dishonest"],
            status_note=row["note"] or "",
        )
        for row in _read("suppliers.json", data_dir)
    ]


def _celsius(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def load_products(data_dir: Path | None = None) -> list[SeedProduct]:
    return [
        SeedProduct(
            code=row["code"],
            name=row["name"],
            category=row["category"],
            unit=row["unit"],
            conversions={unit: Decimal(factor) for unit, factor in row["conversions"].items()},
            shelf_life_days=row["shelf_life_days"],
            storage=row["storage"],
            gtin=row["gtin"],
            papers=row["papers"],
            storage_min_celsius=_celsius(row.get("storage_min_celsius")),
            storage_max_celsius=_celsius(row.get("storage_max_celsius")),
            cold_chain=row.get("cold_chain"),
            rapid_test=row["rapid_test"],
        )
        for row in _read("products.json", data_dir)
    ]
