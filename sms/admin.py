"""Text messages in the admin: read-only (they are written by ``sms.services``), platform
staff only (a number and a template say who bought what)."""

from django.contrib import admin

from .models import SmsMessage


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ("created", "phone", "template", "status", "provider", "attempts", "error_code")
    list_filter = ("status", "provider", "template")
    search_fields = ("phone", "provider_message_id")
    exclude = ("payload_sealed",)
    readonly_fields = [f.name for f in SmsMessage._meta.fields if f.name != "payload_sealed"]

    def _platform(self, request) -> bool:
        return bool(getattr(request.user, "is_platform", False))

    def has_module_permission(self, request):
        return self._platform(request)

    def has_view_permission(self, request, obj=None):
        return self._platform(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
