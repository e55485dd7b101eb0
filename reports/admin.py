"""Admin of the reports app: the aggregated days (rebuild and check on demand) and the
differences the check found. The dashboards, jobs and impact report are pages of their
own (``reports.admin_urls``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from catalog.admin_scoping import CooperativeScopedAdmin, is_platform
from storefront.admin_helpers import ReadOnlyAdminMixin

from .aggregates import aggregates_build_day, aggregates_check_day
from .models import AggregateDay, AggregateDifference

# Beyond this many days an action would keep the page waiting: use the command.
ACTION_MAX_DAYS = 62


@admin.register(AggregateDay)
class AggregateDayAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("day", "built_at", "checked_at", "differences")
    date_hierarchy = "day"
    actions = ["rebuild_and_check"]

    def has_module_permission(self, request):
        return is_platform(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform(request.user)

    @admin.action(description=_("Rebuild the selected days and compare them with the ledger"))
    def rebuild_and_check(self, request, queryset):
        days = list(queryset.order_by("day").values_list("day", flat=True)[: ACTION_MAX_DAYS + 1])
        if len(days) > ACTION_MAX_DAYS:
            self.message_user(
                request,
                _("Choose at most %(n)d days here; `manage.py aggregates_rebuild` does any range.")
                % {"n": ACTION_MAX_DAYS},
                messages.ERROR,
            )
            return
        found = 0
        for day in days:
            aggregates_build_day(day=day)
            found += len(aggregates_check_day(day=day))
        level = messages.WARNING if found else messages.SUCCESS
        self.message_user(
            request,
            _("%(days)d day(s) rebuilt; %(found)d difference(s) from the ledger.")
            % {"days": len(days), "found": found},
            level,
        )


@admin.register(AggregateDifference)
class AggregateDifferenceAdmin(ReadOnlyAdminMixin, CooperativeScopedAdmin):
    list_display = (
        "day",
        "cooperative",
        "figure",
        "aggregated",
        "ledger",
        "difference",
        "checked_at",
    )
    list_filter = ("figure",)
    list_select_related = ("cooperative",)
    date_hierarchy = "day"

    @admin.display(description=_("difference"))
    def difference(self, obj):
        return obj.difference
