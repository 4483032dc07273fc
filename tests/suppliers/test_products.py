"""The product catalogue: GTINs given by producers and GTINs the platform assigns."""

from __future__ import annotations

import pytest

from tests.factories import make_product
from trace.digital_link import assign_gtin
from trace.errors import Conflict
from trace.settings import get_settings


def test_a_product_without_a_gtin_gets_one_under_the_platform_prefix(session):
    product = make_product(session)
    assert product.gtin_assigned
    assert product.gtin == assign_gtin(get_settings().gs1_company_prefix, 1)


def test_an_assigned_gtin_skips_codes_that_producers_already_hold(session):
    prefix = get_settings().gs1_company_prefix
    producer_product = make_product(session, gtin=assign_gtin(prefix, 1)[1:])  # as its GTIN-13
    assert not producer_product.gtin_assigned

    first = make_product(session)
    second = make_product(session)

    assert first.gtin == assign_gtin(prefix, 2)
    assert second.gtin == assign_gtin(prefix, 3)
    assert len({producer_product.gtin, first.gtin, second.gtin}) == 3


def test_a_gtin_that_another_product_holds_is_refused(session):
    make_product(session, gtin="6970000000116")
    with pytest.raises(Conflict) as refused:
        make_product(session, gtin="06970000000116")
    assert refused.value.code == "gtin_taken"
