"""The cloud senders against fake provider endpoints: signed requests, answers, error codes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sms.exceptions import SmsPermanentError, SmsTemporaryError
from sms.senders import OutgoingSms
from sms.senders.aliyun import AliyunSender
from sms.senders.tencent import TencentSender

from .fake_providers import FakeAliyun, FakeTencent

MESSAGE = OutgoingSms(
    phone="+8613800138000",
    template="login_code",
    params={"code": "123456", "minutes": "5"},
    text="Your Farmgate code is 123456.",
    language="zh-hans",
)


def _aliyun(httpserver, secret="ali-secret", **kwargs):
    return AliyunSender(
        access_key_id="ali-id",
        access_key_secret=secret,
        sign_name="农门",
        templates={"login_code": "SMS_1001", "login_code.en": "SMS_2001"},
        endpoint=httpserver.url_for("/").rstrip("/"),
        **kwargs,
    )


def _tencent(httpserver, secret="tc-secret"):
    return TencentSender(
        secret_id="AKIDtest",
        secret_key=secret,
        sdk_app_id="1400000000",
        sign_name="农门",
        templates={"login_code": "449739"},
        endpoint=httpserver.url_for("/").rstrip("/"),
    )


def test_aliyun_sends_a_signed_request_the_provider_accepts(httpserver):
    fake = FakeAliyun("ali-secret")
    httpserver.expect_request("/", method="POST").respond_with_handler(fake)
    result = _aliyun(httpserver).send(MESSAGE)
    assert result.provider == "aliyun" and result.message_id == "900619746936498440^0"
    (request,) = fake.requests
    assert request["query"]["PhoneNumbers"] == "13800138000"  # mainland: national digits
    assert request["query"]["TemplateCode"] == "SMS_1001"
    assert request["query"]["SignName"] == "农门"
    assert request["query"]["TemplateParam"] == '{"code": "123456", "minutes": "5"}'
    assert request["headers"]["x-acs-action"] == "SendSms"


def test_aliyun_picks_the_template_of_the_persons_language(httpserver):
    fake = FakeAliyun("ali-secret")
    httpserver.expect_request("/", method="POST").respond_with_handler(fake)
    english = OutgoingSms(**{**MESSAGE.__dict__, "language": "en"})
    _aliyun(httpserver).send(english)
    assert fake.requests[0]["query"]["TemplateCode"] == "SMS_2001"


def test_aliyun_wrong_secret_is_a_permanent_signature_error(httpserver):
    httpserver.expect_request("/", method="POST").respond_with_handler(FakeAliyun("other"))
    with pytest.raises(SmsPermanentError) as exc:
        _aliyun(httpserver).send(MESSAGE)
    assert exc.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("code", "temporary"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", True),
        ("isp.SYSTEM_ERROR", True),
        ("isv.MOBILE_NUMBER_ILLEGAL", False),
        ("isv.SMS_TEMPLATE_ILLEGAL", False),
        ("isv.SMS_SIGNATURE_ILLEGAL", False),
    ],
)
def test_aliyun_error_codes_map_to_retry_or_give_up(httpserver, code, temporary):
    fake = FakeAliyun("ali-secret", answer={"Code": code, "Message": "refused"})
    httpserver.expect_request("/", method="POST").respond_with_handler(fake)
    with pytest.raises(SmsTemporaryError if temporary else SmsPermanentError) as exc:
        _aliyun(httpserver).send(MESSAGE)
    assert exc.value.code == code


def test_aliyun_server_error_and_unreachable_server_are_temporary(httpserver):
    httpserver.expect_request("/", method="POST").respond_with_data("oops", status=502)
    with pytest.raises(SmsTemporaryError):
        _aliyun(httpserver).send(MESSAGE)
    unreachable = AliyunSender(
        access_key_id="a",
        access_key_secret="b",
        sign_name="c",
        templates={"login_code": "SMS_1"},
        endpoint="http://127.0.0.1:9",
    )
    with pytest.raises(SmsTemporaryError) as exc:
        unreachable.send(MESSAGE)
    assert exc.value.code == "network_error"


def test_aliyun_refuses_unconfigured_templates_and_foreign_numbers(httpserver):
    with pytest.raises(SmsPermanentError) as exc:
        _aliyun(httpserver).send(OutgoingSms(**{**MESSAGE.__dict__, "template": "unknown"}))
    assert exc.value.code == "template_not_configured"
    with pytest.raises(SmsPermanentError) as exc:
        _aliyun(httpserver).send(OutgoingSms(**{**MESSAGE.__dict__, "phone": "+447911123456"}))
    assert exc.value.code == "unsupported_number"


def test_tencent_sends_a_signed_request_the_provider_accepts(httpserver):
    fake = FakeTencent("tc-secret")
    httpserver.expect_request("/", method="POST").respond_with_handler(fake)
    result = _tencent(httpserver).send(MESSAGE)
    assert result.provider == "tencent"
    assert result.message_id == "5000:1045710669157053657849499619"
    (request,) = fake.requests
    assert request["action"] == "SendSms"
    assert request["body"]["PhoneNumberSet"] == ["+8613800138000"]
    assert request["body"]["TemplateId"] == "449739"
    assert request["body"]["TemplateParamSet"] == ["123456", "5"]  # the template's order


def test_tencent_wrong_secret_is_a_permanent_signature_error(httpserver):
    httpserver.expect_request("/", method="POST").respond_with_handler(FakeTencent("other"))
    with pytest.raises(SmsPermanentError) as exc:
        _tencent(httpserver).send(MESSAGE)
    assert exc.value.code == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(
    ("code", "temporary"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", True),
        ("LimitExceeded.PhoneNumberDailyLimit", True),
        ("InvalidParameterValue.IncorrectPhoneNumber", False),
        ("FailedOperation.TemplateIncorrectOrUnapproved", False),
    ],
)
def test_tencent_per_number_codes_map_to_retry_or_give_up(httpserver, code, temporary):
    answer = {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "",
                    "PhoneNumber": "+8613800138000",
                    "Code": code,
                    "Message": "refused",
                }
            ],
            "RequestId": "x",
        }
    }
    httpserver.expect_request("/", method="POST").respond_with_handler(
        FakeTencent("tc-secret", answer=answer)
    )
    with pytest.raises(SmsTemporaryError if temporary else SmsPermanentError) as exc:
        _tencent(httpserver).send(MESSAGE)
    assert exc.value.code == code


def test_tencent_request_level_limit_is_temporary(httpserver):
    answer = {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}}}
    httpserver.expect_request("/", method="POST").respond_with_handler(
        FakeTencent("tc-secret", answer=answer)
    )
    with pytest.raises(SmsTemporaryError):
        _tencent(httpserver).send(MESSAGE)


def test_senders_are_built_from_their_prefixed_settings():
    fields = {
        "secret_id": "id",
        "secret_key": "key",
        "sdk_app_id": "1400",
        "sign_name": "农门",
        "templates": {"login_code": "1"},
        "region": "ap-beijing",
        "endpoint": "https://sms.example",
    }
    settings = SimpleNamespace(**{f"SMS_TENCENT_{k.upper()}": v for k, v in fields.items()})
    sender = TencentSender.from_settings(settings, "SMS_TENCENT_")
    assert sender == TencentSender(**fields)
    assert sender.name == "tencent"  # no SMS_TENCENT_NAME setting: the default stays
