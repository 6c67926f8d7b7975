"""The fault suite's failpoints: the n-th hit of the armed point SIGKILLs the process; other
points, earlier hits and an unarmed process go on."""

import os
import signal
import subprocess
import sys

import pytest

from kerjalokal.messaging import failpoints

SCRIPT = """
from kerjalokal.messaging import failpoints
for i in range(1, 6):
    failpoints.hit("relay.before_publish")
    failpoints.hit("relay.after_confirm_before_mark")
    print(i, flush=True)
"""


def run(spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KERJALOKAL_FAILPOINT"}
    if spec is not None:
        env["KERJALOKAL_FAILPOINT"] = spec
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(("spec", "printed"), [("relay.after_confirm_before_mark:3", "1\n2\n")])
def test_the_nth_hit_of_the_armed_point_kills_the_process(spec: str, printed: str) -> None:
    done = run(spec)
    assert done.returncode == -signal.SIGKILL
    assert done.stdout == printed


@pytest.mark.parametrize("spec", [None, "", "consumer.after_commit_before_ack:1"])
def test_an_unarmed_or_other_point_changes_nothing(spec: str | None) -> None:
    done = run(spec)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "2", "3", "4", "5"]


def test_configure_defaults_to_the_first_hit_and_disarms() -> None:
    failpoints.configure("some.point")
    assert (failpoints._point, failpoints._nth) == ("some.point", 1)
    failpoints.configure("")
    failpoints.hit("")  # disarmed: even an empty name passes
    assert failpoints._point == ""
