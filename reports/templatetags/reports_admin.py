"""Admin template helpers of the reports app: the export links on every exportable list."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from reports.exports import exports_for

register = template.Library()


@register.inclusion_tag("reports/admin/_export_links.html", takes_context=True)
def export_links(context, cl) -> dict:
    """Links that export what ``cl`` (a change list) shows, with its current filters."""
    query = context["request"].GET
    params = {k: v for k, v in query.lists() if k not in ("p", "all", "_changelist_filters")}
    filters = urlencode(params, doseq=True)
    base = reverse("reports_admin:export")
    label = cl.opts.label
    return {
        "links": [
            (
                export.label,
                f"{base}?{urlencode({'source': label, 'export': export.name, 'filters': filters})}",
            )
            for export in exports_for(cl.model)
        ]
    }


@register.inclusion_tag("reports/admin/_index_module.html", takes_context=True)
def reports_module(context) -> dict:
    """The reports' entry on the admin home (for issue 18's manager overview to grow)."""
    from reports.jobs import user_scope

    user = context["request"].user
    scope = user_scope(user)
    return {"show": scope is None or bool(scope)}


@register.inclusion_tag("reports/admin/_glance.html", takes_context=True)
def manager_glance(context) -> dict:
    """The admin home's "at a glance" (``reports.glance``): nothing for a non-manager."""
    from reports.glance import manager_glance as glance

    return {"g": glance(context["request"].user)}
