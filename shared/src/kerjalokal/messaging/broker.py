"""The one way a service builds its broker: confirms on, bounded prefetch, failing handlers
settled by `ReliableConsumer`, per-message logs kept off the hot path."""

import logging

from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
from prometheus_client import REGISTRY
from yarl import URL

from .consumer import reliable_consumer


def make_broker(
    amqp_url: str, *, service: str, prefetch: int = 32, retry_backoff: float = 0.25
) -> RabbitBroker:
    broker = RabbitBroker(
        str(URL(amqp_url).update_query(name=service)),  # names the connection for operators
        default_channel=Channel(prefetch_count=prefetch, publisher_confirms=True),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        graceful_timeout=20,
        log_level=logging.DEBUG,
        middlewares=[RabbitPrometheusMiddleware(registry=REGISTRY, app_name=service)],
    )
    broker.add_middleware(reliable_consumer(broker, backoff=retry_backoff))
    return broker
