"""Account API input and output shapes."""

from __future__ import annotations

from rest_framework import serializers

from accounts.selectors import user_roles


class RegisterInputSerializer(serializers.Serializer):
    # Lengths and formats are checked by ``accounts.services.user_register``; these only
    # give the types (and the schema) so the two never disagree.
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    roles = serializers.SerializerMethodField(
        help_text="`buyer`, plus `farmer`, `manager`, `platform_staff` where they apply."
    )

    def get_roles(self, user) -> list[str]:
        return user_roles(user=user)


class RegisterOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = MeSerializer()


class SmsCodeInputSerializer(serializers.Serializer):
    phone = serializers.CharField(
        max_length=32, help_text="A mobile number; without a country code it is mainland China's."
    )


class SmsCodeOutputSerializer(serializers.Serializer):
    expires_in_seconds = serializers.IntegerField(help_text="How long the code is valid.")
    resend_after_seconds = serializers.IntegerField(help_text="When another may be asked for.")


class SmsTokenInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=12, help_text="The six digits of the text message.")


class SmsTokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = MeSerializer()
    created = serializers.BooleanField(help_text="True when this number made a new account.")
