"""`make clean`, the broker's part: delete the platform's queues on AMQP_URL's vhost, so that a
new `make run` starts from an empty event log (the console rebuilds its figures from the stream
`kerjalokal.events.log`, and would count the old demo's events again).

Queue names come from `rabbitmqctl list_queues` where it runs (root on the broker's host); without
it, the queues every installation has are deleted: the event log, the unrouted queue and each
service's dead-letter queue. Agencies' users and queues are left alone, and so are the services'
own users (kerjalokal-<service>): `make run` resets their passwords and permissions each time.
"""

import asyncio
import os
import subprocess
from urllib.parse import unquote, urlsplit

import aio_pika

SERVICES = ("registry", "vacancies", "training", "notify", "console")
KNOWN = ("kerjalokal.events.log", "kerjalokal.unrouted", *(f"{s}.dlq" for s in SERVICES))


def platform_queues(vhost: str) -> list[str]:
    try:
        listed = subprocess.run(
            ["rabbitmqctl", "list_queues", "-q", "-p", vhost, "name"],
            capture_output=True, text=True, timeout=90, check=True,
        ).stdout.split()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return list(KNOWN)
    prefixes = tuple(f"{name}." for name in (*SERVICES, "kerjalokal"))
    return sorted(name for name in listed if name.startswith(prefixes))


async def main() -> None:
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    vhost = unquote(urlsplit(url).path[1:]) or "/"
    names = platform_queues(vhost)
    connection = await aio_pika.connect(url)
    async with connection:
        for name in names:
            channel = await connection.channel()
            await channel.queue_delete(name)
            await channel.close()
    print(f"broker vhost {vhost}: {len(names)} platform queues deleted")


if __name__ == "__main__":
    asyncio.run(main())
