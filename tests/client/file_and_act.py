"""Uses a client generated from yizhan's OpenAPI document (openapi-python-client)
the way an integrator would: log in, file a problem as the enterprise, then
sign for it as the county officer and ask the enterprise for more, each action sent as its own
typed body. Prints the ticket's id; exits non-zero on any unexpected answer.

Usage: file_and_act.py BASE_URL ENTERPRISE_EMAIL OFFICER_EMAIL PASSWORD
(with the generated package `yizhan_client` on PYTHONPATH).
"""

import sys

from yizhan_client import AuthenticatedClient, Client
from yizhan_client.api.auth import login
from yizhan_client.api.tickets import file, offered_actions, take_action
from yizhan_client.models import (
    FilingBody,
    LoginRequest,
    RequestInfoAction,
    RequestInfoActionAction,
    SignForAction,
    SignForActionAction,
    TicketDetail,
    TokenResponse,
)


def signed_in(base_url: str, email: str, password: str) -> AuthenticatedClient:
    answer = login.sync(client=Client(base_url=base_url), body=LoginRequest(email=email, password=password))
    if not isinstance(answer, TokenResponse):
        sys.exit(f"log-in as {email} failed: {answer}")
    return AuthenticatedClient(base_url=base_url, token=answer.access_token)


def expect_ticket(what: str, response) -> TicketDetail:
    if not isinstance(response.parsed, TicketDetail):
        sys.exit(f"{what}: HTTP {response.status_code} {response.content!r}")
    return response.parsed


def main() -> None:
    base_url, enterprise_email, officer_email, password = sys.argv[1:5]
    enterprise = signed_in(base_url, enterprise_email, password)
    filed = expect_ticket(
        "filing",
        file.sync_detailed(
            client=enterprise,
            body=FilingBody(
                category="parts_supply",
                urgency="urgent",
                title="线束供应商停产，总装线缺件",
                description="上游线束厂所在园区封控，库存只够两天，请协调恢复供货。",
            ),
        ),
    )
    officer = signed_in(base_url, officer_email, password)
    offered = offered_actions.sync(filed.id, client=officer)
    names = [a.action for a in offered.actions]
    if "sign_for" not in names:
        sys.exit(f"sign_for is not offered: {names}")
    signed = expect_ticket(
        "sign_for",
        take_action.sync_detailed(filed.id, client=officer, body=SignForAction(action=SignForActionAction.SIGN_FOR)),
    )
    asked = expect_ticket(
        "request_info",
        take_action.sync_detailed(
            filed.id,
            client=officer,
            body=RequestInfoAction(
                action=RequestInfoActionAction.REQUEST_INFO,
                question="请补充停产园区名称和预计缺件日期。",
            ),
        ),
    )
    if signed.status != "handling" or asked.status != "awaiting_info":
        sys.exit(f"unexpected statuses: {signed.status}, then {asked.status}")
    print(filed.id)


if __name__ == "__main__":
    main()
