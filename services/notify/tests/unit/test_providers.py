"""The provider interface at the edge (httpx MockTransport): what counts as sent, as worth
another try, or as a refusal; and the Standard Webhooks signature."""

import json
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from notify.dispatch.providers import Gateway, Mailer, Result
from notify.dispatch.webhooks import refused_address, signed_headers


def gateway(answer) -> tuple[Gateway, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return Gateway("https://gw.test/send", client=client, token="secret-token"), seen


async def send(provider: Gateway) -> Result:
    return await provider.send(
        to="+6281234567890", template="lowongan_cocok", params={"text": "Halo"}, key="k-1"
    )


async def test_a_2xx_with_a_message_id_is_sent_and_carries_the_key_both_ways() -> None:
    provider, seen = gateway(lambda _: httpx.Response(200, json={"message_id": "wamid.1"}))
    assert await send(provider) == Result(ok=True, message_id="wamid.1", status_code=200)
    [request] = seen
    assert request.headers["Idempotency-Key"] == "k-1"
    assert request.headers["Authorization"] == "Bearer secret-token"
    assert json.loads(request.content) == {
        "to": "+6281234567890", "template": "lowongan_cocok", "params": {"text": "Halo"},
        "idempotency_key": "k-1",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (404, True), (422, True), (408, False), (429, False), (500, False),
     (503, False)],
)  # fmt: skip
async def test_client_errors_are_refusals_server_errors_and_throttling_are_retried(
    status: int, permanent: bool
) -> None:
    provider, _ = gateway(lambda _: httpx.Response(status, json={"error": "+6281234567890"}))
    result = await send(provider)
    assert (result.ok, result.permanent, result.status_code) == (False, permanent, status)
    assert result.error == f"HTTP {status}"  # never the provider's words (they may hold a phone)


async def test_timeouts_network_errors_and_answers_without_an_id_are_retried() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for answer, error in (
        (timeout, "timeout"),
        (refused, "network: ConnectError"),
        (lambda _: httpx.Response(200, text="ok"), "no message_id in the answer"),
    ):
        result = await send(gateway(answer)[0])
        assert (result.ok, result.permanent, result.error) == (False, False, error)


def test_an_email_carries_its_key_as_message_id_and_a_one_click_unsubscribe() -> None:
    mailer = Mailer(host="smtp.test", port=25, sender="Disnaker <lowongan@disnaker.test>")
    message = mailer.message(
        to="siti@example.org", subject="Lowongan", text="Halo Siti", key="k-1",
        unsubscribe="https://l.test/berhenti/t",
    )  # fmt: skip
    assert message["Message-ID"] == "<k-1@disnaker.test>"
    assert message["List-Unsubscribe"] == "<https://l.test/berhenti/t>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Content-Language"] == "id"


def test_a_webhook_is_signed_over_id_timestamp_and_body() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"type":"vacancies.vacancy_published.v1","data":{}}'
    headers = signed_headers(secret=secret, key="d-1", body=body, at=datetime.now(UTC))
    assert headers["webhook-id"] == "d-1"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body.replace("{}", '{"x":1}'), headers)


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("http://example.org/hook", "only https URLs"),
        ("https://127.0.0.1/hook", "address inside a private network"),
        ("https://10.0.0.8/hook", "address inside a private network"),
        ("https://169.254.169.254/latest", "address inside a private network"),
        ("https://[::1]/hook", "address inside a private network"),
        ("https://localhost/hook", "address inside a private network"),
        ("https://93.184.216.34/hook", None),
    ],
)
async def test_webhooks_never_call_into_our_own_network(url: str, refusal: str | None) -> None:
    assert await refused_address(url) == refusal
