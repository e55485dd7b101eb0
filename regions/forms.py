"""Province → city → district selects that work without JavaScript.

Without JavaScript each level is a plain ``<select>``; a *Show the next level* button
(``region_refresh``) posts the form back and the page returns with the next select
filled. With JavaScript (``static/js/regions.js``) the buttons are hidden and the next
select is filled from ``GET /api/v1/regions/?parent=CODE`` as soon as a level changes.

A form mixes in :class:`RegionSelectMixin` and calls ``self.add_region_fields()`` from
its ``__init__``; ``region_code`` in ``cleaned_data`` is then the leaf code (a district,
or a city without districts) or ``""`` while the buyer has not chosen down to one.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import selectors

REFRESH = "region_refresh"


def _select(label, choices, level: str, api_url: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.Select(attrs={"data-region-level": level, "data-region-api": api_url}),
    )


class RegionSelectMixin:
    """Adds ``region_province``, ``region_city`` and ``region_code`` to a ``forms.Form``."""

    def add_region_fields(self, *, initial_code: str = "") -> None:
        source = self.data if self.is_bound else {}
        province = source.get("region_province", "")
        city = source.get("region_city", "")
        leaf = source.get("region_code", "")
        if not self.is_bound and initial_code:
            path = selectors.region_path(initial_code)
            if path:
                province, city, leaf = path.province.code, path.city.code, path.code
        # A level that no longer belongs under the one above it (the buyer chose another
        # province and refreshed) is dropped rather than shown as an error.
        p = selectors.region_get(province)
        if p is None or p.level != "province":
            p, city, leaf = None, "", ""
        c = selectors.region_get(city)
        if c is None or p is None or c.parent_code != p.code:
            c, leaf = None, ""

        api = reverse("api-region-list")
        provinces = [("", _("Choose a province")), *selectors.province_choices()]
        if p is None:
            cities = [("", _("Choose the province first"))]
        else:
            cities = [("", _("Choose a city"))] + [
                (r.code, r.name) for r in selectors.region_children(p.code)
            ]
        if c is None:
            leaves = [("", _("Choose the city first"))]
        elif selectors.region_is_leaf(c):
            leaves = [(c.code, c.name)]
        else:
            leaves = [("", _("Choose a district or county"))] + [
                (r.code, r.name) for r in selectors.region_children(c.code)
            ]
        self.fields["region_province"] = _select(_("Province"), provinces, "province", api)
        self.fields["region_city"] = _select(_("City"), cities, "city", api)
        self.fields["region_code"] = _select(_("District or county"), leaves, "district", api)
        self.initial.update(
            region_province=p.code if p else "",
            region_city=c.code if c else "",
            region_code=leaf if c and leaf in dict(leaves) else "",
        )
        if self.is_bound:
            # Keep the bound values consistent with what was dropped above.
            data = self.data.copy()
            data["region_province"] = p.code if p else ""
            data["region_city"] = c.code if c else ""
            data["region_code"] = leaf if c and leaf in dict(leaves) else ""
            self.data = data

    @property
    def region_refresh_requested(self) -> bool:
        """The buyer pressed a *Show the next level* button: re-show the form, do nothing."""
        return self.is_bound and REFRESH in self.data
