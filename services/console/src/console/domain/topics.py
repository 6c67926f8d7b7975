"""AMQP topic patterns (`vacancies.#`, `*.resident_hired.*`) matched the way the broker
matches binding keys: words split on dots, `*` is exactly one word, `#` zero or more."""

from functools import lru_cache


def matches(pattern: str, routing_key: str) -> bool:
    return _match(tuple((pattern or "#").split(".")), tuple(routing_key.split(".")))


@lru_cache(maxsize=4096)
def _match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return _match(rest, words) or (bool(words) and _match(pattern, words[1:]))
    return bool(words) and head in ("*", words[0]) and _match(rest, words[1:])
