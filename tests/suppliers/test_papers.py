"""Papers per category (domain.md §5, §3.5, §8.5): one table the catalogue declares, checked
when a lot is registered and again when a canteen receives it (索证索票)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import update

from suppliers import certificates
from suppliers.certificates import PaperSet, default_paper_set, paper_problems, required_papers
from suppliers.models import Product, ProductCategory
from suppliers.schemas import CertificateIn
from tests.factories import make_batch, make_product, make_world, papers_for
from trace.errors import Conflict, Invalid


def test_pork_needs_two_stamps_two_certificates_and_a_report_section_5_2():
    assert set(required_papers(PaperSet.pork)) == {
        "动物检疫验讫印章", "肉品品质检验验讫印章", "动物检疫合格证明", "肉品品质检验合格证", "非洲猪瘟病毒检测合格报告"}


def test_other_meat_needs_its_quarantine_certificate_section_5_2():
    assert required_papers(PaperSet.meat) == ("动物检疫合格证明",)


def test_edible_farm_products_need_the_compliance_certificate_or_an_inspection_report_section_5_1_and_8_3():
    assert required_papers(PaperSet.edible_agricultural) == ("承诺达标合格证或检验报告",)


def test_either_paper_meets_a_requirement_that_names_two_section_8_3():
    requirement = required_papers(PaperSet.edible_agricultural)
    report = SimpleNamespace(kind="检验报告", issued_by="示例检测中心")
    certificate = SimpleNamespace(kind="承诺达标合格证", issued_by="示例蔬菜种植专业合作社")
    assert not paper_problems(requirement, [report])
    assert not paper_problems(requirement, [certificate])
    assert paper_problems(requirement, []).missing == ("承诺达标合格证或检验报告",)


def test_grain_oil_and_flour_need_a_batch_inspection_report_section_3_5_and_8_5():
    for category in (ProductCategory.grain, ProductCategory.oil):
        assert required_papers(default_paper_set(category, "大米")) == ("检验报告",)


def test_pork_is_told_by_its_name_so_forgetting_to_declare_it_is_safe_section_5_2():
    assert default_paper_set(ProductCategory.meat, "猪五花肉（冷鲜）") == PaperSet.pork
    assert default_paper_set(ProductCategory.meat, "牛腩（冷冻）") == PaperSet.meat


def test_wild_caught_fish_declared_outside_the_compliance_certificate_needs_none_of_it_section_5_1(session):
    fish = make_product(session, category="水产", name="冻带鱼段（海捕）", storage="frozen", papers="processed",
                        conversions={})
    assert "承诺达标合格证" not in required_papers(fish.papers)


def test_a_compliance_certificate_must_name_the_producer_who_issued_it_section_5_1():
    unnamed = CertificateIn(kind="承诺达标合格证", number="CNHG1", issued_by=" ")
    problems = paper_problems(required_papers(PaperSet.edible_agricultural), [unnamed])
    assert problems.issuer_missing == ("承诺达标合格证",) and not problems.missing


def test_a_lot_of_pork_with_only_its_quarantine_certificate_is_refused_section_5_2(session):
    world = make_world(session)
    pork = make_product(session, category="肉类", name="猪后腿肉（冷鲜）", storage="chilled", shelf_life_days=3,
                        storage_min_celsius=0, storage_max_celsius=4, conversions={})
    with pytest.raises(Invalid) as refused:
        make_batch(session, world.supplier, pork, world.actor(world.supplier_user), certificates=[
            CertificateIn(kind="动物检疫合格证明", number="3712345678")])
    assert refused.value.code == "certificate_missing"
    assert "非洲猪瘟病毒检测合格报告" in refused.value.details["missing"]


def test_a_lot_with_every_paper_of_its_set_is_registered_section_5_2(session):
    world = make_world(session)
    pork = make_product(session, category="肉类", name="猪肋排（冷鲜）", storage="chilled", shelf_life_days=3,
                        conversions={})
    batch = make_batch(session, world.supplier, pork, world.actor(world.supplier_user))
    assert batch.id


def test_a_products_own_extra_paper_is_required_too(session):
    world = make_world(session)
    product = make_product(session, required_certificate="转基因标识说明")
    assert "转基因标识说明" in [p.kind for p in papers_for(product)]
    with pytest.raises(Invalid):
        make_batch(session, world.supplier, product, world.actor(world.supplier_user),
                   certificates=[CertificateIn(kind="检验报告", number="JC1", issued_by="示例质检中心")])


def test_receipt_refuses_a_lot_whose_papers_the_table_now_finds_short_section_8_5(session):
    # The lot came in under an older table (or an import); the canteen still checks (索证索票).
    world = make_world(session)
    session.execute(update(Product).where(Product.id == world.product.id).values(papers=PaperSet.pork.value))
    session.expire_all()
    shipment = world.ship(session, "10")
    with pytest.raises(Conflict) as refused:
        world.receive(session, shipment, "10")
    assert refused.value.code == "certificate_missing"
    assert "拒收" in refused.value.zh


def test_a_lot_short_of_papers_may_still_be_rejected_at_the_door_section_8_5(session):
    world = make_world(session)
    session.execute(update(Product).where(Product.id == world.product.id).values(papers=PaperSet.pork.value))
    session.expire_all()
    shipment = world.ship(session, "10")
    receipt = world.receive(session, shipment, "0", "10", rejection_reason="缺少两章两证一报告")
    assert receipt.rejected_quantity == 10


def test_every_paper_set_names_its_domain_section():
    assert all(rule.section.startswith("§") for rule in certificates.PAPER_SETS.values())
