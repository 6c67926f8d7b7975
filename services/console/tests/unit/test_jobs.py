"""The console's periodic jobs (dead-letter drain, queue sampler) outlive a broker that is away."""

import asyncio

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
