"""The outbox relay and one hop through the chassis, beside raw aio-pika in the same run.

    uv run python benchmarks/outbox_relay.py [--events 20000] [--rate 200] [--seconds 10]
                                             [--repeat 3]

On a throwaway database (the chassis migrations: outbox, inbox) and a throwaway vhost (the
platform topology, a quorum queue `bench.sink` bound to `kerjalokal.events` as a consumer queue),
each `--repeat` times:

- relay throughput: `--events` rows committed to the outbox with `outbox.add_many`, then the
  chassis' `OutboxRelay` (make_broker, batches of 500) started: events/s from its start to the
  last confirmed publish marked sent; beside the raw aio-pika publish with 500 confirms in
  flight to the same route (the goal: at least half of it) and the serial raw publish (one
  confirm at a time: what a relay waiting for each confirm in turn could reach at best);
- one hop at a fixed rate (`--rate`, 200/s, for `--seconds`): one transaction per event writing
  it to the outbox (`outbox.add`), the relay publishing it, a FastStream consumer (make_broker,
  ReliableConsumer, prefetch 32) committing its inbox row and a side effect with
  `inbox.handle_once`: latency from the outbox commit to the inbox commit (p50, p99) and
  events/s; beside raw aio-pika publish (confirmed) -> consume (manual ack) at the same rate.
  The producer and the relay run in this process (one service), the consumer in another.

Prints a table and writes benchmarks/results/outbox_relay.json.
"""

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from typing import Any

import asyncpg
from ceilings import (
    SINK,
    WINDOW,
    BenchTick,
    prepare_route,
    purge,
    raw_latency,
    raw_publish,
    tick,
)
from common import figure, goal_lines, percentile, save, table, throwaway_database, throwaway_vhost
from faststream.rabbit import RabbitMessage

from kerjalokal.db.migrate import chassis_migrations, migrate
from kerjalokal.messaging import EVENTS, OutboxRelay, inbox, make_broker, outbox

SERVICE = "bench"
GOAL_RELAY_RATIO = 0.5
GOAL_P99_MS = 50.0


async def relay_throughput(pool: asyncpg.Pool, amqp_url: str, events: int) -> float:
    """Events/s from the relay's start to the last of `events` committed rows confirmed."""
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE outbox")
        for start in range(0, events, 10_000):
            async with conn.transaction():
                await outbox.add_many(
                    conn, [tick(n) for n in range(start, min(events, start + 10_000))]
                )
    broker = make_broker(amqp_url, service=SERVICE)
    await broker.connect()
    relay = OutboxRelay(pool, broker, service=SERVICE, poll_interval=0.2)
    try:
        started = time.perf_counter()
        task = asyncio.create_task(relay.run())
        async with asyncio.timeout(600):
            while relay.published < events:  # noqa: ASYNC110 - the relay's own counter
                await asyncio.sleep(0.005)
        seconds = time.perf_counter() - started
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        await broker.stop()
    async with pool.acquire() as conn:
        waiting = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        assert waiting == 0, waiting
    return events / seconds


async def consume(db_url: str, amqp_url: str, count: int) -> dict[str, Any]:
    """The consuming service, run as its own process: a FastStream subscriber on the sink
    (make_broker: ReliableConsumer, prefetch 32) committing an inbox row and a side effect per
    event with `inbox.handle_once`. Returns, per event, when its handler was called and when its
    transaction had committed (perf_counter: the same monotonic clock in every process)."""
    pool = await asyncpg.create_pool(db_url, min_size=2, max_size=10)
    times: dict[str, tuple[float, float]] = {}
    inflight = [0, 0]  # now, most
    finished = asyncio.get_running_loop().create_future()
    broker = make_broker(amqp_url, service=SERVICE)

    @broker.subscriber(SINK, EVENTS)
    async def on_tick(event: BenchTick, msg: RabbitMessage) -> None:
        arrived = time.perf_counter()
        inflight[0] += 1
        inflight[1] = max(inflight)

        async def apply(conn: asyncpg.Connection) -> None:
            sql = "INSERT INTO hop (tick_id, n) VALUES ($1, $2)"
            await conn.execute(sql, event.tick_id, event.n)

        await inbox.handle_once(pool, consumer="bench.hop", event_id=msg.message_id, apply=apply)
        inflight[0] -= 1
        times[str(event.tick_id)] = (arrived, time.perf_counter())
        if len(times) == count and not finished.done():
            finished.set_result(None)

    cpu = time.process_time()
    await broker.connect()
    await broker.start()
    print("ready", flush=True)
    try:
        await asyncio.wait_for(finished, timeout=600)
    finally:
        await broker.stop()
        await pool.close()
    return {"times": times, "most_in_flight": inflight[1], "cpu": time.process_time() - cpu}


async def one_hop(
    pool: asyncpg.Pool, db_url: str, amqp_url: str, rate: float, seconds: float
) -> dict[str, Any]:
    """Outbox commit -> relay -> broker -> consumer -> inbox commit at `rate` events/s. The
    producer and its relay are this process (one service); the consumer is another process."""
    committed: dict[str, float] = {}
    count = int(rate * seconds)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS hop (tick_id uuid PRIMARY KEY, n int)")
        await conn.execute("TRUNCATE hop, outbox, inbox")
    consumer = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--consume", db_url, amqp_url, str(count),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert consumer.stdout is not None
    await consumer.stdout.readline()  # "ready"
    broker = make_broker(amqp_url, service=SERVICE)
    await broker.connect()
    relay_task = asyncio.create_task(OutboxRelay(pool, broker, service=SERVICE).run())
    pending: set[asyncio.Task[None]] = set()

    async def produce(n: int) -> None:
        event = tick(n)
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, event)
        committed[str(event.tick_id)] = time.perf_counter()

    try:
        await asyncio.sleep(0.5)  # the relay holds its lock and listens
        started, cpu = time.perf_counter(), time.process_time()
        for n in range(count):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(produce(n))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
        output, _ = await asyncio.wait_for(consumer.communicate(), timeout=300 + seconds)
        cpu = time.process_time() - cpu
        if consumer.returncode:
            raise RuntimeError("the consumer process failed")
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
        await broker.stop()
        if consumer.returncode is None:
            consumer.kill()
    report = json.loads(output.decode().strip().splitlines()[-1])
    times = report["times"]
    latencies = [(times[key][1] - at) * 1000 for key, at in committed.items()]
    relayed = [(times[key][0] - at) * 1000 for key, at in committed.items()]
    handling = [(done - arrived) * 1000 for arrived, done in times.values()]
    last = max(done for _, done in times.values())
    return {
        "relay_p50_ms": percentile(relayed, 0.5),
        "relay_p99_ms": percentile(relayed, 0.99),
        "handle_p50_ms": percentile(handling, 0.5),
        "handle_p99_ms": percentile(handling, 0.99),
        "most_in_flight": report["most_in_flight"],
        "cpu_ms_per_event": (cpu + report["cpu"]) * 1000 / count,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "events_per_s": count / (last - started),
    }


async def run(events: int, rate: float, seconds: float, repeat: int) -> dict[str, Any]:
    relay, windowed, serial, hops, raw_hops = [], [], [], [], []
    with throwaway_vhost() as amqp_url:
        async with throwaway_database() as db_url:
            await prepare_route(amqp_url)
            pool = await asyncpg.create_pool(db_url, min_size=2, max_size=10)
            try:
                async with pool.acquire() as conn:
                    await migrate(conn, chassis_migrations())
                for _ in range(repeat):
                    await purge(amqp_url)
                    windowed.append(await raw_publish(amqp_url, events, window=WINDOW))
                    await purge(amqp_url)
                    serial.append(await raw_publish(amqp_url, max(200, events // 20)))
                    await purge(amqp_url)
                    relay.append(await relay_throughput(pool, amqp_url, events))
                    await purge(amqp_url)
                    raw_hops.append(await raw_latency(amqp_url, rate=rate, seconds=seconds))
                    await purge(amqp_url)
                    hops.append(await one_hop(pool, db_url, amqp_url, rate, seconds))
            finally:
                await pool.close()
    ceiling = figure(f"ceiling: raw publish, {WINDOW} confirms in flight", "msg/s", windowed,
                     digits=0)  # fmt: skip
    raw_p50 = figure(f"ceiling: raw publish->consume p50, {rate:.0f}/s", "ms",
                     [h["p50_ms"] for h in raw_hops], digits=2)  # fmt: skip
    raw_p99 = figure(f"ceiling: raw publish->consume p99, {rate:.0f}/s", "ms",
                     [h["p99_ms"] for h in raw_hops], digits=2)  # fmt: skip
    raw_rate = figure(f"ceiling: raw publish->consume, {rate:.0f}/s", "events/s",
                      [h["events_per_s"] for h in raw_hops], digits=1)  # fmt: skip
    raw_cpu = statistics.median(h["cpu_ms_per_event"] for h in raw_hops)
    figures = {
        "raw_publish_windowed": ceiling,
        "raw_publish_serial": figure("raw publish, one confirm at a time", "msg/s", serial,
                                     ceiling, digits=0),
        "relay": figure("outbox relay: committed rows -> confirmed", "events/s", relay, ceiling,
                        digits=0),
        "raw_hop_p50": raw_p50,
        "hop_p50": figure("one hop outbox->inbox commit, p50", "ms",
                          [h["p50_ms"] for h in hops], raw_p50, digits=2),
        "raw_hop_p99": raw_p99,
        "hop_p99": figure("one hop outbox->inbox commit, p99", "ms",
                          [h["p99_ms"] for h in hops], raw_p99, digits=2),
        "hop_relay_p50": figure("  outbox commit -> handler called, p50", "ms",
                                [h["relay_p50_ms"] for h in hops], digits=2),
        "hop_relay_p99": figure("  outbox commit -> handler called, p99", "ms",
                                [h["relay_p99_ms"] for h in hops], digits=2),
        "hop_handle_p50": figure("  handler: inbox transaction, p50", "ms",
                                 [h["handle_p50_ms"] for h in hops], digits=2),
        "hop_handle_p99": figure("  handler: inbox transaction, p99", "ms",
                                 [h["handle_p99_ms"] for h in hops], digits=2),
        "raw_hop_cpu": figure("ceiling: CPU per event, raw publish+consume", "ms",
                              [h["cpu_ms_per_event"] for h in raw_hops], digits=2),
        "hop_cpu": figure("  CPU per event, both processes", "ms",
                          [h["cpu_ms_per_event"] for h in hops], raw_cpu, digits=2),
        "raw_hop_rate": raw_rate,
        "hop_rate": figure(f"one hop at {rate:.0f}/s offered", "events/s",
                           [h["events_per_s"] for h in hops], raw_rate, digits=1),
    }  # fmt: skip
    goals = [
        {
            "goal": f"relay >= {GOAL_RELAY_RATIO} x raw publish with {WINDOW} in flight",
            "met": figures["relay"]["ratio_to_ceiling"] >= GOAL_RELAY_RATIO,
            "measured": f"{figures['relay']['ratio_to_ceiling']:.2f}",
        },
        {
            "goal": f"one hop p99 < {GOAL_P99_MS:.0f} ms at {rate:.0f} events/s",
            "met": figures["hop_p99"]["median"] < GOAL_P99_MS,
            "measured": f"{figures['hop_p99']['median']:.1f} ms",
        },
    ]
    return {
        "events": events,
        "rate": rate,
        "seconds": seconds,
        "repeat": repeat,
        "hop_max_ms": [round(h["max_ms"], 1) for h in hops],
        "hop_most_handlers_in_flight": [h["most_in_flight"] for h in hops],
        "figures": figures,
        "goals": goals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--consume", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consume:
        db_url, amqp_url, count = args.consume
        print(json.dumps(asyncio.run(consume(db_url, amqp_url, int(count)))))
        return
    result = asyncio.run(run(args.events, args.rate, args.seconds, args.repeat))
    print(
        f"\noutbox relay: {args.events:,} events; one hop at {args.rate:.0f}/s for"
        f" {args.seconds:.0f} s; {args.repeat} runs each\n"
    )
    print(table(result["figures"].values()))
    print(goal_lines(result["goals"]))
    print(f"written: {save('outbox_relay', result)}")


if __name__ == "__main__":
    main()
