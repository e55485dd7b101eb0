"""Cash taken by a clerk at a store counter or an agent at a station.

Not offered online (it is not in ``PROVIDERS``): a cash payment is recorded as
succeeded by ``payments.services.cash_payment_record`` when the money is in the
clerk's hand, so there is no notification to parse and nothing to query. A refund of a
cash payment is money handed back over the counter: it succeeds at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from . import base


class CashProvider(base.Provider):
    name: ClassVar[str] = "cash"

    @classmethod
    def from_settings(cls, settings: Any) -> CashProvider:
        return cls()

    def start(self, request: base.PaymentRequest) -> base.StartResult:
        base.quantize_yuan(request.amount)
        return base.StartResult(client_payload={"cash": base.format_yuan(request.amount)})

    def parse_notification(
        self, *, headers: Mapping[str, str], body: bytes, content_type: str = ""
    ) -> base.Notification:
        raise base.NotificationError("malformed", "cash has no notifications")

    def query(self, *, out_trade_no: str) -> base.QueryResult:
        # Recorded as succeeded when taken; never left pending.
        return base.QueryResult(status="pending", amount=None)

    def refund_request(self, request: base.RefundRequest) -> base.RefundResult:
        base.quantize_yuan(request.amount)
        return base.RefundResult(
            status="succeeded",
            refund_id=f"cash-{request.out_refund_no}",
            raw={"handed_back": base.format_yuan(request.amount)},
        )

    def success_response(self) -> base.HttpAnswer:
        return 200, "text/plain", b"ok"

    def failure_response(self, code: str, message: str) -> base.HttpAnswer:
        return 400, "text/plain", code.encode()
