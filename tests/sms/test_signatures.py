"""The request signatures match the providers' documented worked examples, and the fake
servers' independent verifiers do too (so the server tests check against the documents)."""

from __future__ import annotations

import json

from sms.senders import aliyun, tencent

from .fake_providers import aliyun_expected_signature, tencent_expected_signature

# Alibaba Cloud, "V3 request body & signature mechanism", the fixed-parameter example.
ALIYUN_EXAMPLE = {
    "query": {
        "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        "RegionId": "cn-shanghai",
    },
    "headers": {
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    },
    "signature": "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
}

# Tencent Cloud, "Signature v3", the CVM DescribeInstances example.
TENCENT_PAYLOAD = (
    b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)
TENCENT_SIGNATURE = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


def test_aliyun_acs3_signature_matches_the_documented_example():
    headers = aliyun.sign(
        method="POST",
        host="ecs.cn-shanghai.aliyuncs.com",
        path="/",
        query=ALIYUN_EXAMPLE["query"],
        headers=ALIYUN_EXAMPLE["headers"],
        body=b"",
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
    )
    assert headers["authorization"] == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
        "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        f"Signature={ALIYUN_EXAMPLE['signature']}"
    )
    assert headers["x-acs-content-sha256"] == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_aliyun_fake_server_verifier_matches_the_documented_example():
    headers = {
        **ALIYUN_EXAMPLE["headers"],
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-content-sha256": aliyun.sha256_hex(b""),
    }
    assert (
        aliyun_expected_signature(
            method="POST",
            path="/",
            query=list(ALIYUN_EXAMPLE["query"].items()),
            headers=headers,
            body=b"",
            secret="YourAccessKeySecret",
        )
        == ALIYUN_EXAMPLE["signature"]
    )


def test_aliyun_query_is_rfc3986_encoded():
    assert aliyun.canonical_query({"b": "a b*~", "A": "中"}) == "A=%E4%B8%AD&b=a%20b%2A~"


def test_tencent_tc3_signature_matches_the_documented_example():
    assert json.loads(TENCENT_PAYLOAD)["Limit"] == 1
    authorization = tencent.sign(
        host="cvm.tencentcloudapi.com",
        payload=TENCENT_PAYLOAD,
        timestamp=1551113065,
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
    )
    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        f"tc3_request, SignedHeaders=content-type;host, Signature={TENCENT_SIGNATURE}"
    )


def test_tencent_fake_server_verifier_matches_the_documented_example():
    assert (
        tencent_expected_signature(
            host="cvm.tencentcloudapi.com",
            content_type="application/json; charset=utf-8",
            body=TENCENT_PAYLOAD,
            timestamp=1551113065,
            service="cvm",
            secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        )
        == TENCENT_SIGNATURE
    )
