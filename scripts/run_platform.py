"""Run every Kerja Lokal service on this machine with demo data, and print where they are.

`make run` calls this after `uv sync`. Settings come from the environment, falling back to
deploy/dev.env (development values only). Logs go to .run/logs/<service>.log. Ctrl-C stops all.

Each service connects to RabbitMQ as its own user `kerjalokal-<service>` (permissions in
kerjalokal.messaging.accounts), created or reset here with rabbitmqctl on AMQP_URL's vhost, with
the passwords <SERVICE>_AMQP_PASSWORD; AMQP_URL itself is the administrator's (guest in
development). Where rabbitmqctl does not run, every service uses AMQP_URL, with a warning.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from kerjalokal.messaging import accounts

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".run" / "logs"
sys.path.insert(0, str(ROOT / "scripts"))

import demo  # noqa: E402


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    database: str
    command: tuple[str, ...]
    what: str


SERVICES = (
    Service("registry", 8001, "kerjalokal_registry", ("registry.cli", "serve"),
            "pencari kerja, NIK, AK/1 / job seekers"),
    Service("vacancies", 8002, "kerjalokal_vacancies", ("vacancies.cli", "serve"),
            "perusahaan mitra, lowongan, lamaran, penempatan / companies, vacancies, hires"),
    Service("training", 8003, "kerjalokal_training", ("training.cli", "serve"),
            "pelatihan, pemagangan / training, apprenticeships"),
    Service("notify", 8004, "kerjalokal_notify", ("notify.cli", "serve"),
            "papan lowongan, feed desa, pesan warga / job board, village feeds, messages"),
    Service("console", 8000, "kerjalokal_console", ("console.cli", "serve"),
            "konsol operator: target, arus peristiwa, surat mati / operators' console"),
)  # fmt: skip


def load_env() -> dict[str, str]:
    env = dict(os.environ)
    for line in (ROOT / "deploy" / "dev.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env.setdefault(key.strip(), value.strip())
    return env


def broker_users(env: dict[str, str]) -> dict[str, str]:
    """Create or reset each service's broker user; return each service's own AMQP_URL."""
    names = [s.name for s in SERVICES]
    passwords = accounts.passwords_from(env, names)
    selected = accounts.accounts(names)
    vhost = accounts.vhost_of(env["AMQP_URL"])
    try:
        accounts.apply_with_rabbitmqctl(selected, vhost=vhost, passwords=passwords)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(
            f"WARNING: no broker users ({exc}); every service connects with AMQP_URL",
            file=sys.stderr,
        )
        return {name: env["AMQP_URL"] for name in names}
    print(f"broker vhost {vhost}: users {', '.join(a.username for a in selected)}")
    return {a.service: accounts.service_url(env["AMQP_URL"], a, passwords[a.service])
            for a in selected}  # fmt: skip


def service_env(env: dict[str, str], amqp_url: str) -> dict[str, str]:
    """The platform's settings with this service's own AMQP_URL and no broker password of
    another service."""
    own = {k: v for k, v in env.items() if not k.endswith("_AMQP_PASSWORD")}
    return own | {"AMQP_URL": amqp_url}


def start(service: Service, env: dict[str, str]) -> subprocess.Popen[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{service.name}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", *service.command, "--port", str(service.port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip


def wait_ready(service: Service, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{service.port}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    tail = (LOGS / f"{service.name}.log").read_text(errors="replace")[-3000:]
    raise SystemExit(f"{service.name} did not become ready; its log ends with:\n{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="start without demo data")
    parser.add_argument("--exit-after-start", action="store_true", help="stop once all is up")
    args = parser.parse_args()
    env = load_env()
    subprocess.run(
        [sys.executable, "-m", "kerjalokal.db", "create", *(s.database for s in SERVICES)],
        env=env, check=True,
    )  # fmt: skip
    urls = broker_users(env)
    processes = []
    try:
        for service in SERVICES:
            process = start(service, service_env(env, urls[service.name]))
            processes.append(process)
            wait_ready(service, process)
        if not args.no_demo:
            demo.seed(env)
        print("\nKerja Lokal is running / sedang berjalan:")
        for service in SERVICES:
            url = f"http://127.0.0.1:{service.port}"
            print(f"  {service.name:<10} {url:<24} {service.what}")
            print(f"  {'':<10} API {url}/docs  AsyncAPI {url}/asyncapi/  {url}/health  {url}/ready"
                  f"  {url}/metrics")  # fmt: skip
        print(f"\nOperator token (dev): {env['OPERATOR_TOKEN']}   logs: {LOGS}")
        if args.exit_after_start:
            return 0
        print("Ctrl-C to stop / tekan Ctrl-C untuk berhenti")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        print("a service stopped; see its log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C (or uv's) must not cut this
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
