"""What a canteen checks at the door before it accepts goods (验收): temperature and papers.

The numbers and the paper table belong to the catalogue (suppliers); this module turns
them into the receiving staff's refusal, which tells them to reject the goods with a reason.
"""

from __future__ import annotations

from sqlmodel import Session

from suppliers import service as supplier_service
from suppliers.models import Batch, Product
from trace.errors import Conflict, Invalid


def assert_arrival_temperature(product: Product, celsius: float | None) -> None:
    """Cold-chain food is accepted only within its arrival limits (domain.md §6)."""
    limits = supplier_service.arrival_limits(product)
    if limits is None:
        return
    if celsius is None:
        raise Invalid("arrival_temperature_required",
                      f"“{product.name}”为冷链食品，验收时须记录到货温度",
                      f"{product.name} is cold-chain food: record its arrival temperature")
    details = {"celsius": celsius, "limit": limits.max_celsius, "min_celsius": limits.min_celsius,
               "max_celsius": limits.max_celsius}
    if celsius > limits.max_celsius:
        raise Conflict("arrival_temperature_out_of_range",
                       f"到货温度 {celsius} ℃ 高于上限 {limits.max_celsius} ℃，不得验收入库，请拒收并注明原因",
                       f"Arrival temperature {celsius} °C is above the {limits.max_celsius} °C limit: "
                       "reject it with a reason", **details)
    if limits.min_celsius is not None and celsius < limits.min_celsius:
        raise Conflict("arrival_temperature_out_of_range",
                       f"到货温度 {celsius} ℃ 低于下限 {limits.min_celsius} ℃（冷藏食品不应冻结），"
                       "不得验收入库，请拒收并注明原因",
                       f"Arrival temperature {celsius} °C is below the {limits.min_celsius} °C limit "
                       "(chilled food must not freeze): reject it with a reason", **details)


def assert_goods_acceptable(session: Session, batch: Batch, product: Product, celsius: float | None) -> None:
    """Everything checked at the door besides quantities: papers (§5, §8.5) and temperature (§6)."""
    supplier_service.batch_assert_papers(session, batch, product)
    assert_arrival_temperature(product, celsius)
