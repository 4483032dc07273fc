"""Cold chain (domain.md §6): each product's storage range, and the temperatures a canteen may accept.

Every number here is unverified in domain.md (U), so each default comes from settings.
Pure rules: no database here.
"""

from __future__ import annotations

from dataclasses import dataclass

from suppliers.models import ProductCategory, StorageCondition
from trace.settings import Settings

# Fresh produce is kept cool, but it is not cold-chain food (GB 31605 is about food that
# needs temperature control from factory to sale): no arrival temperature unless a product says so.
_NOT_COLD_CHAIN_BY_DEFAULT = frozenset({ProductCategory.vegetable, ProductCategory.fruit})


@dataclass(frozen=True)
class StorageRange:
    min_celsius: float | None
    max_celsius: float | None


@dataclass(frozen=True)
class ArrivalLimits:
    min_celsius: float | None
    max_celsius: float


def default_storage_range(storage: StorageCondition, settings: Settings) -> StorageRange:
    """The range a product gets when the catalogue declares none."""
    if storage == StorageCondition.chilled:
        return StorageRange(settings.chilled_min_celsius, settings.chilled_max_celsius)
    if storage == StorageCondition.frozen:
        return StorageRange(None, settings.frozen_max_celsius)
    return StorageRange(None, None)


def default_cold_chain(storage: StorageCondition, category: ProductCategory) -> bool:
    return storage != StorageCondition.ambient and category not in _NOT_COLD_CHAIN_BY_DEFAULT


def arrival_limits(*, storage: StorageCondition, cold_chain: bool, min_celsius: float | None,
                   max_celsius: float | None, settings: Settings) -> ArrivalLimits | None:
    """What a canteen may accept at the door, or None when the product is not cold-chain food.

    Chilled goods: the declared range, up to the tolerance above it (0–4 °C pork: at most
    7 °C with the default 3 °C, domain.md §6) and down to the below-tolerance under it (0 by
    default: §6 gives no figure, and chilled food should not arrive frozen). Frozen goods:
    at most the handover temperature, and colder is never refused.
    """
    if not cold_chain:
        return None
    if storage == StorageCondition.frozen:
        return ArrivalLimits(None, settings.frozen_receipt_max_celsius)
    declared = default_storage_range(StorageCondition.chilled, settings)
    low = min_celsius if min_celsius is not None else declared.min_celsius
    high = max_celsius if max_celsius is not None else declared.max_celsius
    return ArrivalLimits(None if low is None else low - settings.chilled_below_tolerance_celsius,
                         high + settings.chilled_tolerance_celsius)
