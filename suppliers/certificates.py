"""Which papers a product's batches must carry (随货证明, 索证索票): one table, declared by the catalogue.

Each product names a paper set (``Product.papers``); the set names the papers. Batch
registration refuses a lot without them, and receipt at the canteen checks them again,
because the receiving staff are the ones the law holds to 索证索票 (domain.md §8.5).
Pure rules: no database here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from suppliers.models import ProductCategory

# The names as printed on the papers and stamps (domain.md §5).
COMPLIANCE_CERTIFICATE = "承诺达标合格证"  # §5.1
QUARANTINE_STAMP = "动物检疫验讫印章"  # §5.2
MEAT_QUALITY_STAMP = "肉品品质检验验讫印章"  # §5.2
QUARANTINE_CERTIFICATE = "动物检疫合格证明"  # §5.2
MEAT_QUALITY_CERTIFICATE = "肉品品质检验合格证"  # §5.2
ASF_REPORT = "非洲猪瘟病毒检测合格报告"  # §5.2
BATCH_INSPECTION_REPORT = "检验报告"  # §3.5, §8.5: the lot's inspection report

# A requirement that any of several papers meets is written as the law writes it:
# "承诺达标合格证或检验报告" (§8.3, Food Safety Law Art. 65). No paper's name holds "或".
EITHER = "或"


class PaperSet(StrEnum):
    edible_agricultural = "edible_agricultural"  # 食用农产品 in the scope of the 承诺达标合格证
    pork = "pork"  # 两章两证一报告
    meat = "meat"  # beef, mutton, poultry
    processed = "processed"  # grain, oil, flour and other processed food
    none = "none"  # e.g. wild-caught fish: outside the 承诺达标合格证's scope


@dataclass(frozen=True)
class PaperRule:
    name_zh: str
    papers: tuple[str, ...]
    section: str  # where domain.md states it


PAPER_SETS: dict[PaperSet, PaperRule] = {
    # §5.1: vegetables, fruit, tea leaves, livestock and poultry, eggs, *farmed* aquatic products;
    # §8.3: the buyer keeps the 承诺达标合格证 *or* an inspection report of the lot.
    PaperSet.edible_agricultural: PaperRule(
        "食用农产品", (f"{COMPLIANCE_CERTIFICATE}{EITHER}{BATCH_INSPECTION_REPORT}",), "§5.1, §8.3"),
    PaperSet.pork: PaperRule("猪肉（两章两证一报告）", (
        QUARANTINE_STAMP, MEAT_QUALITY_STAMP, QUARANTINE_CERTIFICATE, MEAT_QUALITY_CERTIFICATE, ASF_REPORT), "§5.2"),
    PaperSet.meat: PaperRule("牛羊禽肉", (QUARANTINE_CERTIFICATE,), "§5.2"),
    # §3.5: 米、面、油等大宗食品留存每批次原料的检验检测报告; §8.5 lists the batch report among
    # the papers checked at receipt; §3.1 Art. 53: a trader checks the food's 合格证明.
    PaperSet.processed: PaperRule("加工食品", (BATCH_INSPECTION_REPORT,), "§3.5, §8.5"),
    PaperSet.none: PaperRule("无随货证明要求", (), "§5.1"),
}

# Papers whose issuer must be named: the 承诺达标合格证 is the producer's own promise
# (§5.1: the 承诺主体 is printed on it; a trader passes on the grower's, it does not issue one).
ISSUER_REQUIRED = frozenset({COMPLIANCE_CERTIFICATE})

_BY_CATEGORY: dict[ProductCategory, PaperSet] = {
    ProductCategory.vegetable: PaperSet.edible_agricultural,
    ProductCategory.fruit: PaperSet.edible_agricultural,
    ProductCategory.poultry_egg: PaperSet.edible_agricultural,
    ProductCategory.aquatic: PaperSet.edible_agricultural,
    ProductCategory.meat: PaperSet.meat,
    ProductCategory.grain: PaperSet.processed,
    ProductCategory.oil: PaperSet.processed,
    ProductCategory.dairy: PaperSet.processed,
    ProductCategory.soy: PaperSet.processed,
    ProductCategory.seasoning: PaperSet.processed,
}


def default_paper_set(category: ProductCategory, name: str) -> PaperSet:
    """The set a product gets when the catalogue does not name one.

    Pork is told by its name: forgetting to declare it would let a lot in with a third
    of its papers. Wild-caught fish and other exceptions must be declared.
    """
    if category == ProductCategory.meat and "猪" in name:
        return PaperSet.pork
    return _BY_CATEGORY[category]


def required_papers(paper_set: str, extra: str | None = None) -> tuple[str, ...]:
    """The papers a product's lots need: its set's, plus one the product itself declares."""
    papers = PAPER_SETS[PaperSet(paper_set)].papers
    return papers + (extra,) if extra and extra not in papers else papers


class PaperLike(Protocol):
    kind: str
    issued_by: str | None


@dataclass(frozen=True)
class PaperProblems:
    missing: tuple[str, ...]
    issuer_missing: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.missing or self.issuer_missing)


def alternatives(requirement: str) -> tuple[str, ...]:
    """The papers any one of which meets a requirement (most requirements name one)."""
    return tuple(requirement.split(EITHER))


def paper_problems(required: Iterable[str], papers: Iterable[PaperLike]) -> PaperProblems:
    """What is missing from a lot's papers: whole papers, or the issuer of one that must name it."""
    papers = list(papers)
    held = {paper.kind for paper in papers}
    missing = tuple(requirement for requirement in required if held.isdisjoint(alternatives(requirement)))
    issuer_missing = tuple(sorted({paper.kind for paper in papers
                                   if paper.kind in ISSUER_REQUIRED and not (paper.issued_by or "").strip()}))
    return PaperProblems(missing, issuer_missing)
