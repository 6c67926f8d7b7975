"""Each service's own RabbitMQ account, defined in this one place and applied by
`python -m kerjalokal.messaging.accounts apply`.

A service connects as `kerjalokal-<service>` and the broker itself enforces what it may do:

- vhost permissions (configure / write / read regexes): its own queues `<service>.*` (consumer
  queues `<service>.<handler>` and its dead-letter queue `<service>.dlq`), and the shared topology
  every service declares idempotently at start-up (`declare_topology`); write only on the
  exchanges it publishes to;
- topic permissions on `kerjalokal.events`, `kerjalokal.restricted` and `kerjalokal.dlx`: it
  publishes only routing keys `<service>.*` (its own event types; its own queues' dead letters),
  and on the restricted exchange it may bind only the restricted event types named for it in
  `RESTRICTED_READERS` (notify: contact details, vacancies: the NIK lookup hash), others none.

The console publishes no events: it reads the event log, drains every service's dead-letter
queue, replays dead letters (and agencies' events) through the default exchange (`amq.default`,
routing key = the target queue's name, as console.dlq does) and manages agencies' queues
`agency.*`. Agencies' own users are made by the console (console.agencies), not here.

Passwords come from the environment, `<SERVICE>_AMQP_PASSWORD` (deploy/dev.env has development
values). Two ways to apply: `rabbitmqctl import_definitions` on the broker's host (development,
`make run`; one call, password hashes only in the file), or the management HTTP API (docker
compose's `broker-accounts` step, production). Both are idempotent: users are created or their
password and permissions reset.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from kerjalokal.events import EVENT_TYPES
from kerjalokal.events.registry import ResidentContactChangedV1, ResidentIdentityRecordedV1

from .topology import DLX, EVENT_LOG, EVENTS, RESTRICTED, UNROUTED, UNROUTED_QUEUE

SERVICES = ("registry", "vacancies", "training", "notify", "console")
PREFIX = "kerjalokal"
DEFAULT_EXCHANGE = "amq.default"  # the name permission checks use for the default exchange

# Who may bind which restricted event type: each is personal data for exactly one consumer.
RESTRICTED_READERS: dict[str, tuple[str, ...]] = {
    "notify": (ResidentContactChangedV1.TYPE,),
    "vacancies": (ResidentIdentityRecordedV1.TYPE,),
}

# Declared by every service at start-up (`declare_topology`), so every account may configure
# them; `kerjalokal.unrouted` is both an exchange and a queue, the others are one or the other.
SHARED_TOPOLOGY = (EVENTS.name, RESTRICTED.name, DLX.name, UNROUTED.name, EVENT_LOG.name)
assert UNROUTED_QUEUE.name == UNROUTED.name

NOTHING = "^$"
EVERYTHING = ".*"


def _alternatives(*patterns: str) -> str:
    return f"^({'|'.join(patterns)})$" if patterns else NOTHING


def _names(names: Iterable[str]) -> list[str]:
    return [re.escape(name) for name in names]


def _own(service: str) -> str:
    return rf"{re.escape(service)}\..*"


def _keys_of(service: str) -> str:
    return rf"^{re.escape(service)}\."


@dataclass(frozen=True)
class TopicPermission:
    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class Account:
    service: str
    username: str
    configure: str
    write: str
    read: str
    topics: tuple[TopicPermission, ...]

    @property
    def password_variable(self) -> str:
        return password_variable(self.service)

    def topic(self, exchange: str) -> TopicPermission:
        return next(t for t in self.topics if t.exchange == exchange)


def password_variable(service: str) -> str:
    return f"{service.upper()}_AMQP_PASSWORD"


def username(service: str, *, prefix: str = PREFIX) -> str:
    return f"{prefix}-{service}"


def publishes(service: str) -> tuple[bool, bool]:
    """Whether the service owns public and restricted event types (from the event catalogue)."""
    own = [e for t, e in EVENT_TYPES.items() if t.startswith(f"{service}.")]
    return any(not e.RESTRICTED for e in own), any(e.RESTRICTED for e in own)


def account(service: str, *, prefix: str = PREFIX) -> Account:
    if service == "console":
        return _console(prefix)
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    public, restricted = publishes(service)
    exchanges_written = [EVENTS.name] * public + [RESTRICTED.name] * restricted
    readable = RESTRICTED_READERS.get(service, ())
    return Account(
        service=service,
        username=username(service, prefix=prefix),
        configure=_alternatives(_own(service), *_names(SHARED_TOPOLOGY)),
        # publish: the exchanges of its own events, dead letters to kerjalokal.dlx; declaring a
        # queue with a dead-letter exchange and an exchange with an alternate exchange also
        # needs write on those; binding needs write on the bound queue
        write=_alternatives(
            _own(service),
            *_names([*exchanges_written, DLX.name, UNROUTED.name, EVENT_LOG.name]),
        ),
        # consume its own queues; bind to the shared exchanges (topic permissions narrow which
        # keys); declaring an exchange with an alternate exchange needs read on it. Binding the
        # unrouted queue needs read on the exchange `kerjalokal.unrouted`, and a regex cannot
        # tell it from the queue of the same name (see docs/security.md)
        read=_alternatives(
            _own(service), *_names([EVENTS.name, RESTRICTED.name, DLX.name, UNROUTED.name])
        ),
        topics=(
            TopicPermission(EVENTS.name, _keys_of(service) if public else NOTHING, EVERYTHING),
            TopicPermission(
                RESTRICTED.name,
                _keys_of(service) if restricted else NOTHING,
                _alternatives(*_names(readable)),
            ),
            TopicPermission(DLX.name, _keys_of(service), _keys_of(service)),
        ),
    )


def _console(prefix: str) -> Account:
    watched = [s for s in SERVICES if s != "console"]
    dead_letter_queues = _names(f"{s}.dlq" for s in watched)
    agencies = r"agency\..*"
    return Account(
        service="console",
        username=username("console", prefix=prefix),
        configure=_alternatives(*_names(SHARED_TOPOLOGY), *dead_letter_queues, agencies),
        # replays go through the default exchange; binds need write on the bound queue
        write=_alternatives(
            *_names([DEFAULT_EXCHANGE, UNROUTED.name, EVENT_LOG.name]),
            *dead_letter_queues,
            agencies,
        ),
        read=_alternatives(*_names(SHARED_TOPOLOGY), *dead_letter_queues),
        topics=(
            TopicPermission(EVENTS.name, NOTHING, EVERYTHING),  # the log's '#', agencies' types
            TopicPermission(RESTRICTED.name, NOTHING, NOTHING),
            TopicPermission(
                DLX.name, NOTHING, _alternatives(*(rf"{re.escape(s)}\..*" for s in watched))
            ),
        ),
    )


def accounts(services: Iterable[str] = SERVICES, *, prefix: str = PREFIX) -> list[Account]:
    return [account(service, prefix=prefix) for service in services]


# --- passwords and URLs -------------------------------------------------------------------------


def passwords_from(env: Mapping[str, str], services: Iterable[str]) -> dict[str, str]:
    """Each service's password from `<SERVICE>_AMQP_PASSWORD`; missing ones are named."""
    missing = [password_variable(s) for s in services if not env.get(password_variable(s))]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (the services' broker passwords)")
    return {s: env[password_variable(s)] for s in services}


def generated_passwords(services: Iterable[str]) -> dict[str, str]:
    return {service: secrets.token_urlsafe(24) for service in services}


def service_url(base_url: str, account: Account, password: str) -> str:
    """`base_url` (host, port, vhost, query) with the service's own user and password."""
    parts = urlsplit(base_url)
    netloc = f"{quote(account.username, safe='')}:{quote(password, safe='')}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def vhost_of(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


# --- applying them ------------------------------------------------------------------------------


def definitions(
    selected: Sequence[Account], *, vhost: str, passwords: Mapping[str, str]
) -> dict[str, object]:
    """A definitions document (rabbitmqctl import_definitions, or the broker's load_definitions)
    with the users (password hashes only), their vhost and topic permissions."""
    return {
        "users": [
            {
                "name": a.username,
                "password_hash": password_hash(passwords[a.service]),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
            for a in selected
        ],
        "permissions": [
            {
                "user": a.username,
                "vhost": vhost,
                "configure": a.configure,
                "write": a.write,
                "read": a.read,
            }
            for a in selected
        ],
        "topic_permissions": [
            {
                "user": a.username,
                "vhost": vhost,
                "exchange": t.exchange,
                "write": t.write,
                "read": t.read,
            }
            for a in selected
            for t in a.topics
        ],
    }


def commands(account: Account, *, vhost: str) -> list[list[str]]:
    """The same as rabbitmqctl commands (the password of add_user goes through stdin)."""
    return [
        ["add_user", account.username],
        ["set_permissions", "-p", vhost, account.username, account.configure, account.write,
         account.read],
        *(
            ["set_topic_permissions", "-p", vhost, account.username, t.exchange, t.write, t.read]
            for t in account.topics
        ),
    ]  # fmt: skip


Runner = Callable[..., None]


def _rabbitmqctl(*args: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed program, arguments are ours
        ["rabbitmqctl", "-q", *args],  # noqa: S607 - found on PATH like the other tools
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"rabbitmqctl {args[0]}: {(done.stderr or done.stdout).strip()}")


def apply_with_rabbitmqctl(
    selected: Sequence[Account],
    *,
    vhost: str,
    passwords: Mapping[str, str],
    run: Runner = _rabbitmqctl,
) -> None:
    """One `rabbitmqctl import_definitions` on the broker's host (the vhost must exist)."""
    document = definitions(selected, vhost=vhost, passwords=passwords)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(document, file)
        file.flush()
        os.chmod(file.name, 0o644)  # hashes only; rabbitmqctl may read it as the rabbitmq user
        run("import_definitions", file.name)


class ManagementApi:
    """The broker's management HTTP API with an administrator's credentials."""

    def __init__(self, base_url: str, user: str, password: str, *, timeout: float = 10) -> None:
        self._base = base_url.rstrip("/")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        self._timeout = timeout

    def request(self, method: str, path: str, body: object = None) -> None:
        data = None if body is None else json.dumps(body).encode()
        if not self._base.startswith(("http://", "https://")):
            raise ValueError("the management URL must be http(s)")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            self._base + path, data=data, method=method, headers=self._headers
        )
        with urllib.request.urlopen(request, timeout=self._timeout):  # noqa: S310
            pass

    def wait(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.request("GET", "/api/whoami")
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)


def apply_with_management_api(
    selected: Sequence[Account], *, vhost: str, passwords: Mapping[str, str], api: ManagementApi
) -> None:
    v = quote(vhost, safe="")
    for a in selected:
        user = quote(a.username, safe="")
        api.request("PUT", f"/api/users/{user}", {"password": passwords[a.service], "tags": ""})
        api.request(
            "PUT",
            f"/api/permissions/{v}/{user}",
            {"configure": a.configure, "write": a.write, "read": a.read},
        )
        for t in a.topics:
            api.request(
                "PUT",
                f"/api/topic-permissions/{v}/{user}",
                {"exchange": t.exchange, "write": t.write, "read": t.read},
            )


def remove_with_rabbitmqctl(selected: Sequence[Account], *, run: Runner = _rabbitmqctl) -> None:
    for a in selected:
        run("delete_user", a.username)


# --- command line -------------------------------------------------------------------------------


def _table(selected: Sequence[Account], vhost: str) -> str:
    lines = []
    for a in selected:
        lines += [
            f"{a.username}  (vhost {vhost}, password from {a.password_variable})",
            f"  configure {a.configure}",
            f"  write     {a.write}",
            f"  read      {a.read}",
            *(f"  topic {t.exchange}: write {t.write}  read {t.read}" for t in a.topics),
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kerjalokal.messaging.accounts",
        description="The services' own RabbitMQ users and permissions.",
    )
    parser.add_argument("action", choices=("apply", "show", "remove"))
    parser.add_argument("--vhost", default=None, help="default: AMQP_URL's vhost, else /")
    parser.add_argument("--prefix", default=PREFIX, help="user names are <prefix>-<service>")
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated")
    parser.add_argument(
        "--management-url",
        default=None,
        help="apply through the management HTTP API (admin: RABBITMQ_USER, RABBITMQ_PASSWORD)"
        " instead of rabbitmqctl",
    )
    args = parser.parse_args(argv)
    env = os.environ
    vhost = args.vhost or (vhost_of(env["AMQP_URL"]) if env.get("AMQP_URL") else "/")
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    selected = accounts(services, prefix=args.prefix)
    if args.action == "show":
        print(_table(selected, vhost))
        return 0
    if args.action == "remove":
        remove_with_rabbitmqctl(selected)
        print(f"removed {', '.join(a.username for a in selected)}")
        return 0
    passwords = passwords_from(env, services)
    if args.management_url:
        api = ManagementApi(
            args.management_url, env.get("RABBITMQ_USER", "guest"), env["RABBITMQ_PASSWORD"]
        )
        api.wait()
        apply_with_management_api(selected, vhost=vhost, passwords=passwords, api=api)
    else:
        apply_with_rabbitmqctl(selected, vhost=vhost, passwords=passwords)
    print(f"vhost {vhost}: {', '.join(a.username for a in selected)} applied")
    return 0


if __name__ == "__main__":
    sys.exit(main())
