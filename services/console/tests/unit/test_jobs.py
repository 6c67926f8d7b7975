"""The console's periodic jobs (dead-letter drain, queue sampler) outlive a broker that is away."""

import asyncio
import contextlib

from console.main import _every


async def test_a_job_that_meets_a_closed_connection_runs_again() -> None:
    """aio-pika raises RuntimeError for a channel asked of a connection that is reconnecting;
    before, that ended the drain's and the sampler's loops for good at the first network cut."""
    stop = asyncio.Event()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("Connection was not opened")
        stop.set()

    await asyncio.wait_for(_every(0.01, "drain", job, stop), 5)
    assert runs == 2


async def test_the_projector_waits_briefly_again_once_it_had_read_on(monkeypatch) -> None:
    """The pause before reading again doubles while the broker stays away, and starts short
    again after a batch was applied: one long outage no longer makes every later interruption
    wait 15 s (a network cut's recovery took that much longer)."""
    from datetime import UTC, datetime
    from typing import Any

    import aio_pika

    from console import stream

    projector = stream.StreamProjector(pool=None, connection=None)  # type: ignore[arg-type]
    waits: list[float] = []
    attempts = 0

    async def consume() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 5:  # read a batch, then lost the channel
            projector.last_batch_at = datetime.now(UTC)
        raise aio_pika.exceptions.ChannelInvalidStateError("closed")

    async def sleep(seconds: float, *_: Any) -> None:
        waits.append(seconds)
        if len(waits) == 6:
            raise asyncio.CancelledError

    monkeypatch.setattr(projector, "_consume", consume)
    monkeypatch.setattr(asyncio, "sleep", sleep)  # undone when the test ends
    with contextlib.suppress(asyncio.CancelledError):
        await projector._run()
    assert waits == [0.5, 1.0, 2.0, 4.0, 0.5, 1.0]
