"""China's administrative divisions (GB/T 2260 codes): provinces, cities, districts.

The table is data shipped with the code (``data/gbt2260.json``, its source and date in
``data/README.md``), read once per process into a read-only in-memory index: 3,222 rows,
about 15 ms and 3 MB, and no query for an address check, a region list or a
shipping rule. It changes when the code is deployed, which is when the data changes.

Codes are six digits: ``65`` Xinjiang, ``6543`` Altay Prefecture, ``654326`` Jeminay
County. A *leaf* is the last level an address names: a district, or one of the few cities
without districts (Dongguan…), whose own code is then the address's region code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

DATA_FILE = Path(__file__).resolve().parent / "data" / "gbt2260.json"
CODE_PATTERN = re.compile(r"^\d{6}$")

Level = Literal["province", "city", "district"]


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    level: Level
    parent_code: str

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


@dataclass(frozen=True, slots=True)
class RegionPath:
    """The three names an address carries, from one leaf code."""

    province: Region
    city: Region
    district: Region  # the city itself for a city without districts

    @property
    def code(self) -> str:
        return self.district.code


@dataclass(frozen=True)
class _Table:
    by_code: dict[str, Region]
    children: dict[str, tuple[Region, ...]]
    source: str


@cache
def _table() -> _Table:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    rows = data["rows"]
    provinces = {code for code, _name, parent in rows if not parent}
    by_code: dict[str, Region] = {}
    children: dict[str, list[Region]] = {"": []}
    for code, name, parent in rows:
        if not parent:
            level: Level = "province"
        elif parent in provinces:
            level = "city"
        else:
            level = "district"
        region = Region(code=code, name=name, level=level, parent_code=parent)
        by_code[code] = region
        children.setdefault(parent, []).append(region)
    return _Table(
        by_code=by_code,
        children={parent: tuple(kids) for parent, kids in children.items()},
        source=data["source"],
    )


def region_get(code: str) -> Region | None:
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return None
    return _table().by_code.get(code)


def region_children(parent_code: str | None = None) -> tuple[Region, ...]:
    """Provinces when ``parent_code`` is empty; else that region's children in code order."""
    return _table().children.get(parent_code or "", ())


def region_is_leaf(region: Region) -> bool:
    return region.level != "province" and not _table().children.get(region.code)


def region_path(code: str) -> RegionPath | None:
    """Province, city and district of a leaf code; None for anything else (unknown codes,
    provinces, cities that have districts)."""
    region = region_get(code)
    if region is None or not region_is_leaf(region):
        return None
    by_code = _table().by_code
    if region.level == "city":
        return RegionPath(province=by_code[region.parent_code], city=region, district=region)
    city = by_code[region.parent_code]
    return RegionPath(province=by_code[city.parent_code], city=city, district=region)


def region_resolve(*, province: str, city: str, district: str) -> RegionPath | None:
    """The leaf whose three names are exactly these (an address typed as text), or None."""
    for p in region_children(None):
        if p.name != province:
            continue
        for c in region_children(p.code):
            if c.name != city:
                continue
            if region_is_leaf(c):
                return region_path(c.code) if district in ("", c.name) else None
            for d in region_children(c.code):
                if d.name == district:
                    return region_path(d.code)
    return None


def province_code_of(code: str) -> str:
    """``650000`` for any Xinjiang code; empty for a malformed one."""
    return code[:2] + "0000" if isinstance(code, str) and CODE_PATTERN.match(code) else ""


def province_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in region_children(None)]


def data_source() -> str:
    return _table().source
