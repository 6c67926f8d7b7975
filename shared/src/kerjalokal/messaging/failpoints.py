"""Failpoints for the fault suite (tests/faults): `KERJALOKAL_FAILPOINT=<point>:<n>` makes the
n-th `hit(<point>)` of this process SIGKILL the process, the crash the suite wants at exactly that
place. Unset (production), `hit` compares one string and returns.

Points: `relay.before_publish` (rows committed by the HTTP transaction, read by the relay, not yet
published), `relay.after_confirm_before_mark` (published and confirmed, not yet marked sent),
`consumer.after_commit_before_ack` (inbox row and effects committed, message not yet acked)."""

import os
import signal

_point = ""
_nth = 0
_hits = 0


def configure(spec: str) -> None:
    """Arm `<point>:<n>` (n defaults to 1); an empty spec disarms."""
    global _point, _nth, _hits
    point, _, nth = spec.partition(":")
    _point, _nth, _hits = point.strip(), int(nth or 1), 0


def hit(point: str) -> None:
    global _hits
    if point != _point or not _point:
        return
    _hits += 1
    if _hits == _nth:
        os.kill(os.getpid(), signal.SIGKILL)


configure(os.environ.get("KERJALOKAL_FAILPOINT", ""))
