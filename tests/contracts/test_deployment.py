"""docker-compose.yml cannot run here (no Docker engine); these keep it true to the code."""

import re
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from console.config import Settings as ConsoleSettings
from kerjalokal.messaging import accounts
from notify.config import Settings as NotifySettings
from registry.config import Settings as RegistrySettings
from training.config import Settings as TrainingSettings
from vacancies.config import Settings as VacanciesSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = sorted(  # every service that can start
    p.name for p in (ROOT / "services").iterdir() if (p / "src" / p.name / "main.py").exists()
)
SETTINGS = {
    "console": ConsoleSettings,
    "notify": NotifySettings,
    "registry": RegistrySettings,
    "training": TrainingSettings,
    "vacancies": VacanciesSettings,
}
PORTS = {"console": 8000, "registry": 8001, "vacancies": 8002, "training": 8003, "notify": 8004}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_deployed_from_its_own_dockerfile(service: str) -> None:
    spec = COMPOSE["services"][service]
    assert spec["build"]["dockerfile"] == f"services/{service}/Dockerfile"
    assert (ROOT / spec["build"]["dockerfile"]).exists()
    assert f"{PORTS[service]}:{PORTS[service]}" in spec["ports"]
    assert "healthcheck" in spec
    assert spec["depends_on"] == {
        "rabbitmq": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
        "broker-accounts": {"condition": "service_completed_successfully"},
    }


@pytest.mark.parametrize("service", SERVICES)
def test_every_secret_of_a_service_is_required_without_a_default(service: str) -> None:
    environment = COMPOSE["services"][service]["environment"]
    settings = SETTINGS[service]
    secrets = [
        field.alias
        for field in settings.model_fields.values()
        if field.annotation is SecretStr and field.alias
    ]
    assert secrets
    for name in secrets:
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", str(environment[name])), name


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_connects_to_the_broker_as_its_own_user(service: str) -> None:
    url = str(COMPOSE["services"][service]["environment"]["AMQP_URL"])
    user = accounts.username(service)
    variable = accounts.password_variable(service)
    assert re.fullmatch(rf"amqp://{user}:\$\{{{variable}:\?[^}}]+\}}@rabbitmq:5672/", url), url
    assert "RABBITMQ_PASSWORD" not in str(COMPOSE["services"][service]["environment"])


def test_the_broker_accounts_step_creates_every_services_user_first() -> None:
    spec = COMPOSE["services"]["broker-accounts"]
    assert spec["command"][:4] == ["python", "-m", "kerjalokal.messaging.accounts", "apply"]
    assert "--management-url" in spec["command"]
    assert spec["restart"] == "no"
    assert spec["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    environment = spec["environment"]
    assert set(environment) == {
        "RABBITMQ_USER",
        "RABBITMQ_PASSWORD",
        *(accounts.password_variable(s) for s in accounts.SERVICES),
    }
    for name in ("RABBITMQ_PASSWORD", *(accounts.password_variable(s) for s in SERVICES)):
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", str(environment[name])), name
    assert set(SERVICES) <= set(accounts.SERVICES)


def test_infrastructure_has_healthchecks_and_one_database_per_service() -> None:
    assert "healthcheck" in COMPOSE["services"]["rabbitmq"]
    assert "healthcheck" in COMPOSE["services"]["postgres"]
    init = (ROOT / "deploy" / "postgres" / "init-databases.sql").read_text()
    for service in SERVICES:
        assert f"kerjalokal_{service}" in init
