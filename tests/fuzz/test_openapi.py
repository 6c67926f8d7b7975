"""Every service's HTTP API fuzzed through its own OpenAPI document (schemathesis), as the operator.

For each operation, schemathesis sends its examples and then generated requests, valid and
invalid (wrong types, missing fields, out-of-range values, NUL bytes, ...), to the real service
on its own database and vhost. Every answer must be:
- never a 5xx;
- a 4xx with a JSON object body `{"detail": ...}`; for a 422, `detail` is a list whose items each
  have `loc` (where: body/query/path/header and the field), `msg` and `type`.

CI runs a fixed budget (FUZZ_EXAMPLES examples per operation, 20 by default) with a fixed seed,
so a failure reproduces; `FUZZ_EXAMPLES=500` makes a long run (tests/fuzz/README.md).
"""

from typing import Any

import hypothesis
import pytest
import schemathesis
from fuzz_services import OFFLINE, OPERATOR, SERVICES, budget
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

EXAMPLES = budget(20)
SEED = 20261130

# Endpoints that never answer within a request: server-sent event streams.
STREAMING = {"console": ["/stream/events"]}

LOCATIONS = {"body", "query", "path", "header", "cookie"}


def config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": OPERATOR,
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                # the operator's token is sent on every request; fuzzing it would only test 401
                "with-security-parameters": False,
            },
            # The coverage phase enumerates boundary values with no budget of its own.
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "request-timeout": 30,
        }
    )


def load(service: str) -> Any:
    spec = SERVICES[service]
    document = spec.create_app(spec.settings(*OFFLINE)).openapi()
    schema = schemathesis.openapi.from_dict(document, config=config())
    for path in STREAMING.get(service, []):
        schema = schema.exclude(path=path)
    return schema


def well_formed_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx answers `{"detail": ...}`; a 422's detail lists `loc` naming the field, `msg`,
    `type`."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{status} without a JSON body: {response.text[:200]!r}") from None
    assert isinstance(body, dict), f"{status}: body is not an object: {body!r}"
    assert "detail" in body, f"{status} without detail: {body!r}"
    if status != 422:
        return None
    detail = body["detail"]
    assert isinstance(detail, list), f"422 detail is not a list of errors: {detail!r}"
    assert detail, "422 with an empty list of errors"
    for error in detail:
        assert isinstance(error, dict), f"422 error is not an object: {error!r}"
        problem = _malformed(error)
        assert problem is None, f"422 error {problem}: {error!r}"
    return None


def _malformed(error: dict[str, Any]) -> str | None:
    loc, msg, kind = error.get("loc"), error.get("msg"), error.get("type")
    if not isinstance(loc, list) or not loc:
        return "without loc"
    if loc[0] not in LOCATIONS:
        return "whose loc does not say where (body, query, path, header)"
    if not all(isinstance(part, str | int) for part in loc):
        return "with a loc that is not a path"
    if not isinstance(msg, str) or not msg:
        return "without msg"
    if not isinstance(kind, str) or not kind:
        return "without type"
    return None


CHECKS = [not_a_server_error, well_formed_error]
HYPOTHESIS = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def fuzz(services: Any, service: str, case: Any) -> None:
    running = services[service]
    response = case.call(base_url=running.url, headers=OPERATOR, timeout=30)
    case.validate_response(response, checks=CHECKS, headers=OPERATOR)


registry = load("registry")
vacancies = load("vacancies")
training = load("training")
notify = load("notify")
console = load("console")


@registry.parametrize()
@HYPOTHESIS
def test_registry(case: Any, services: Any) -> None:
    fuzz(services, "registry", case)


@vacancies.parametrize()
@HYPOTHESIS
def test_vacancies(case: Any, services: Any) -> None:
    fuzz(services, "vacancies", case)


@training.parametrize()
@HYPOTHESIS
def test_training(case: Any, services: Any) -> None:
    fuzz(services, "training", case)


@notify.parametrize()
@HYPOTHESIS
def test_notify(case: Any, services: Any) -> None:
    fuzz(services, "notify", case)


@console.parametrize()
@HYPOTHESIS
def test_console(case: Any, services: Any) -> None:
    fuzz(services, "console", case)


def test_every_service_is_fuzzed() -> None:
    assert set(SERVICES) == {"registry", "vacancies", "training", "notify", "console"}
    for schema in (registry, vacancies, training, notify, console):
        assert len(list(schema.get_all_operations())) > 0


pytestmark = pytest.mark.timeout(600 + EXAMPLES)  # per operation
