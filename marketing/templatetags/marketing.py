"""``{% running_campaigns county=... %}`` / ``cooperative=...``: the running campaigns
on the county and cooperative pages (catalog's templates load this; catalog's code does
not import marketing)."""

from django import template

from ..selectors import campaigns_running_for

register = template.Library()


@register.inclusion_tag("marketing/_running.html")
def running_campaigns(*, county=None, cooperative=None):
    return {"campaigns": campaigns_running_for(county=county, cooperative=cooperative)}
