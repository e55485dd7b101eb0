"""Fixed platform words stored as data, shown in the reader's language.

Category, county, province and carrier names, quality grades and the package words of
variant names ("5 kg 袋") are platform data the cooperatives choose from, stored once
(in Chinese, as on the bag). Their translations are ordinary gettext messages
(``PLATFORM_WORDS`` lists them for the translators; ``locale/`` holds zh-hans, ug and
en); a name the catalogue does not know yet is shown as stored.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext, gettext_noop, pgettext

# Names the platform ships with (catalog.demo's counties and categories, the seeded
# carriers, the national grade words). A new one is added here and in locale/.
PLATFORM_WORDS = [
    # categories
    gettext_noop("粮油"),
    gettext_noop("面粉"),
    gettext_noop("大米"),
    gettext_noop("坚果干果"),
    gettext_noop("蜂蜜"),
    gettext_noop("茶叶"),
    gettext_noop("蔬菜"),
    # counties and provinces
    gettext_noop("吉木乃县"),
    gettext_noop("雷山县"),
    gettext_noop("渭源县"),
    gettext_noop("漾濞彝族自治县"),
    gettext_noop("科尔沁右翼前旗"),
    gettext_noop("城口县"),
    gettext_noop("新疆维吾尔自治区"),
    gettext_noop("贵州省"),
    gettext_noop("甘肃省"),
    gettext_noop("云南省"),
    gettext_noop("内蒙古自治区"),
    gettext_noop("重庆市"),
    # grades
    gettext_noop("特级"),
    gettext_noop("一级"),
    gettext_noop("一等"),
    gettext_noop("特一等"),
    gettext_noop("特二等"),
    # carriers
    gettext_noop("SF Express 顺丰速运"),
    gettext_noop("China Post EMS 中国邮政"),
    gettext_noop("JD Logistics 京东物流"),
    gettext_noop("YTO Express 圆通速递"),
    gettext_noop("ZTO Express 中通快递"),
    gettext_noop("STO Express 申通快递"),
    gettext_noop("Yunda Express 韵达快递"),
]

# "5 kg 袋", "2.5 kg 箱", "500 g 瓶": an amount, a unit, a package word.
_VARIANT_NAME = re.compile(r"^(\d+(?:\.\d+)?)\s*(kg|g)\s*(袋|箱|瓶|罐|盒)$")


def _package(word: str) -> str:
    return {
        "袋": pgettext("package", "袋"),
        "箱": pgettext("package", "箱"),
        "瓶": pgettext("package", "瓶"),
        "罐": pgettext("package", "罐"),
        "盒": pgettext("package", "盒"),
    }[word]


def platform_label(value) -> str:
    """``value`` (a stored platform name) in the active language, or as stored."""
    text = str(value or "").strip()
    if not text:
        return ""
    translated = gettext(text)
    if translated != text:
        return translated
    match = _VARIANT_NAME.match(text)
    if match:
        amount, unit, package = match.groups()
        # Translators: a variant's size, e.g. "5 kg bag"; keep the three values.
        return gettext("%(amount)s %(unit)s %(package)s") % {
            "amount": amount,
            "unit": unit,
            "package": _package(package),
        }
    return text
