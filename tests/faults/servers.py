"""A private RabbitMQ node and a private PostgreSQL cluster for the fault suite.

Both live in a temp dir of their own, on free ports, under names no other test uses, so that
killing or stopping them touches nothing else on the machine (the machine's own servers are never
stopped, restarted or reconfigured). Every process is recorded by pid and killed by that pid on
the way out; the temp dir goes with it.
"""

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from kerjalokal.testing.proxy import free_port

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
COOKIE = Path("/var/lib/rabbitmq/.erlang.cookie")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PrivateRabbit:
    """`rabbitmq-server` with its own node name, ports, mnesia, logs, config and plugin list (no
    plugins, so no management port), and the machine's Erlang cookie so `rabbitmqctl -n` works."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "rabbit"
        self.home = self.dir / "home"
        self.node = f"faults-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.wrapper: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def pid_file(self) -> Path:
        return self.dir / "rabbit.pid"

    def _env(self) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def prepare(self) -> None:
        self.home.mkdir(parents=True)
        cookie = self.home / ".erlang.cookie"
        shutil.copyfile(COOKIE, cookie)
        cookie.chmod(0o400)
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("")
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\nheartbeat = 5\n"
        )

    def start(self, timeout: float = 180.0) -> float:
        """Boot the node (again) on the same data; returns the seconds it took."""
        started = time.monotonic()
        self.pid_file.unlink(missing_ok=True)
        log = (self.dir / "server.out").open("ab")
        self.wrapper = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")], env=self._env(), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.starts += 1
        deadline = started + timeout
        while True:  # await_startup fails at once until the node has registered with epmd
            try:
                self.ctl("await_startup", "--timeout", str(int(timeout)), timeout=timeout + 30)
                return time.monotonic() - started
            except (RuntimeError, subprocess.TimeoutExpired):
                if self.wrapper.poll() is not None or time.monotonic() > deadline:
                    out = (self.dir / "server.out").read_text(errors="replace")[-3000:]
                    message = f"RabbitMQ node {self.node} did not start:\n{out}"
                    raise RuntimeError(message) from None
                time.sleep(1)

    def ctl(self, *args: str, timeout: float = 120.0) -> str:
        done = subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-q", "-n", self.node, *args],
            env=self._env(), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def beam_pid(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int(self.pid_file.read_text().strip())
        return None

    def kill(self) -> None:
        """SIGKILL the node (the Erlang VM), no goodbye to clients."""
        if (pid := self.beam_pid()) is not None:
            _kill(pid)
        if self.wrapper is not None:
            _kill_group(self.wrapper.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.wrapper.wait(timeout=30)

    def restart_app(self, down_seconds: float = 3.0) -> None:
        """A graceful broker restart: `stop_app`, a pause, `start_app`."""
        self.ctl("stop_app", timeout=120)
        time.sleep(down_seconds)
        self.ctl("start_app", timeout=180)

    def teardown(self) -> None:
        with contextlib.suppress(Exception):
            if self.wrapper is not None and self.wrapper.poll() is None:
                self.ctl("stop", timeout=60)
        self.kill()


class PrivatePostgres:
    """`initdb` + `pg_ctl` as the postgres OS user on a temp dir it owns, a private port and
    socket dir; one database per service."""

    def __init__(self, base: Path) -> None:
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.sockets = self.dir / "sock"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _as_postgres(self, *args: str, timeout: float = 120.0) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True,
            timeout=timeout, cwd=self.dir,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)}: {done.stdout}{done.stderr}")

    def prepare(self) -> None:
        self.sockets.mkdir(parents=True)
        shutil.chown(self.dir, "postgres", "postgres")
        shutil.chown(self.sockets, "postgres", "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
            "-E", "UTF8", "--locale", "C",
        )  # fmt: skip

    def start(self) -> float:
        started = time.monotonic()
        # fsync off: the faults here are process crashes (immediate stop), never power loss
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=200 -c full_page_writes=off"
        )
        for attempt in range(5):  # a first start after a crash can trip on a stale lock
            try:
                self._as_postgres(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"),
                    "-o", options, "-w", "-t", "120", "start", timeout=180,
                )  # fmt: skip
                break
            except RuntimeError:
                if attempt == 4:
                    raise
                time.sleep(2)
        return time.monotonic() - started

    def stop_immediate(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().split()[0])
        return None

    def teardown(self) -> None:
        with contextlib.suppress(Exception):
            self.stop_immediate()
        if (pid := self.postmaster_pid()) is not None and _alive(pid):
            _kill(pid)


class PrivateServers:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="kl-faults-"))
        self.base.chmod(0o755)
        self.rabbit = PrivateRabbit(self.base)
        self.postgres = PrivatePostgres(self.base)
        self._torn_down = False
        atexit.register(self.teardown)  # a backstop when the session is interrupted

    def start(self) -> dict[str, float]:
        self.rabbit.prepare()
        self.postgres.prepare()
        pg = self.postgres.start()
        rabbit = self.rabbit.start()
        return {"postgres_boot_s": round(pg, 1), "rabbitmq_boot_s": round(rabbit, 1)}

    def teardown(self) -> None:
        if self._torn_down:
            return
        self._torn_down = True
        try:
            self.rabbit.teardown()
        finally:
            try:
                self.postgres.teardown()
            finally:
                shutil.rmtree(self.base, ignore_errors=True)
