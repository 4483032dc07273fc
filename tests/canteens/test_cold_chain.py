"""Cold chain at the door (domain.md §6): each product's storage range plus the configured
tolerance; frozen goods at the handover temperature; vegetables only when a product says so."""

from __future__ import annotations

import pytest

from suppliers.cold_chain import arrival_limits, default_cold_chain
from suppliers.models import ProductCategory, StorageCondition
from tests.factories import make_product, make_world
from trace.errors import Conflict, Invalid
from trace.settings import Settings


def limits(storage="chilled", cold_chain=True, low=None, high=None, **settings):
    return arrival_limits(storage=StorageCondition(storage), cold_chain=cold_chain, min_celsius=low,
                          max_celsius=high, settings=Settings(**settings))


def test_chilled_pork_at_0_to_4_may_arrive_at_most_at_7_section_6():
    assert limits(low=0, high=4).max_celsius == 7


def test_chilled_goods_have_a_lower_arrival_bound_too_section_6():
    # §6 says only how much warmer chilled goods may arrive ("最多高 3 °C"); below their
    # range they would be freezing: the bottom of the range, unless configured otherwise.
    assert limits(low=0, high=4).min_celsius == 0


def test_how_far_below_its_range_chilled_goods_may_arrive_is_a_setting_section_6():
    assert limits(low=0, high=4, chilled_below_tolerance_celsius=1).min_celsius == -1


def test_the_tolerance_is_a_setting_section_6():
    assert limits(low=0, high=4, chilled_tolerance_celsius=1).max_celsius == 5


def test_a_chilled_product_without_a_declared_range_takes_the_configured_one_section_6():
    assert (limits().min_celsius, limits().max_celsius) == (0, 11)


def test_frozen_goods_default_to_the_handover_value_and_are_never_too_cold_section_6():
    frozen = limits(storage="frozen", high=-18)
    assert (frozen.min_celsius, frozen.max_celsius) == (None, -15)


def test_leafy_vegetables_are_not_cold_chain_food_unless_a_product_says_so_section_6(session):
    assert not default_cold_chain(StorageCondition.chilled, ProductCategory.vegetable)
    spinach = make_product(session, category="蔬菜", name="菠菜", storage="chilled", conversions={})
    assert not spinach.cold_chain and limits(cold_chain=spinach.cold_chain) is None
    salad = make_product(session, category="蔬菜", name="即食生菜", storage="chilled", cold_chain=True, conversions={})
    assert salad.cold_chain


def test_a_product_stores_the_range_it_declares_section_6(session):
    pork = make_product(session, category="肉类", name="猪前腿肉（冷鲜）", storage="chilled",
                        storage_min_celsius=0, storage_max_celsius=4, conversions={})
    assert (pork.storage_min_celsius, pork.storage_max_celsius, pork.cold_chain) == (0, 4, True)


def test_a_range_upside_down_is_refused_section_6(session):
    with pytest.raises(Invalid) as refused:
        make_product(session, storage="chilled", storage_min_celsius=6, storage_max_celsius=2, conversions={})
    assert refused.value.code == "storage_range_invalid"


def test_ambient_goods_cannot_be_declared_cold_chain_section_6(session):
    with pytest.raises(Invalid) as refused:
        make_product(session, storage="ambient", cold_chain=True)
    assert refused.value.code == "cold_chain_needs_cold_storage"


@pytest.fixture
def pork_world(session):
    return make_world(session, category="肉类", name="猪前腿肉（冷鲜）", storage="chilled", shelf_life_days=5,
                      storage_min_celsius=0, storage_max_celsius=4, conversions={})


def test_chilled_pork_arriving_at_7_5_is_refused_with_its_limits_section_6(session, pork_world):
    shipment = pork_world.ship(session, "10")
    with pytest.raises(Conflict) as refused:
        pork_world.receive(session, shipment, "10", arrival_temperature_celsius=7.5)
    assert refused.value.code == "arrival_temperature_out_of_range"
    assert (refused.value.details["min_celsius"], refused.value.details["max_celsius"]) == (0, 7)


def test_chilled_pork_arriving_frozen_hard_is_refused_section_6(session, pork_world):
    shipment = pork_world.ship(session, "10")
    with pytest.raises(Conflict) as refused:
        pork_world.receive(session, shipment, "10", arrival_temperature_celsius=-5)
    assert "低于下限" in refused.value.zh


def test_chilled_pork_at_7_is_accepted_section_6(session, pork_world):
    shipment = pork_world.ship(session, "10")
    assert pork_world.receive(session, shipment, "10", arrival_temperature_celsius=7).accepted_quantity == 10


def test_a_warm_delivery_is_rejected_with_its_temperature_on_record_section_6(session, pork_world):
    shipment = pork_world.ship(session, "10")
    receipt = pork_world.receive(session, shipment, "0", "10", arrival_temperature_celsius=9.4,
                                 rejection_reason="到货温度 9.4 ℃ 超出验收范围，整批拒收退回")
    assert (receipt.rejected_quantity, receipt.arrival_temperature_celsius) == (10, 9.4)


def test_frozen_meat_warmer_than_the_handover_value_is_refused_section_6(session):
    world = make_world(session, category="肉类", name="牛腩（冷冻）", storage="frozen", conversions={})
    shipment = world.ship(session, "10")
    with pytest.raises(Conflict):
        world.receive(session, shipment, "5", arrival_temperature_celsius=-14)
    assert world.receive(session, shipment, "10", arrival_temperature_celsius=-15).accepted_quantity == 10


def test_chilled_vegetables_need_no_arrival_temperature_section_6(session):
    world = make_world(session, category="蔬菜", name="菠菜", storage="chilled", shelf_life_days=10, conversions={})
    shipment = world.ship(session, "10")
    assert world.receive(session, shipment, "10").accepted_quantity == 10
