"""Hand-written SQL over an asyncpg connection; the caller owns the transaction."""

import json
from typing import Any

import asyncpg


async def init_connection(conn: asyncpg.Connection) -> None:
    """JSON columns as Python values, jsonb in binary format (COPY can encode it too)."""
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: b"\x01" + json.dumps(value).encode(),
        decoder=lambda data: json.loads(data[1:]),
        schema="pg_catalog",
        format="binary",
    )


async def insert(conn: asyncpg.Connection, table: str, values: dict[str, Any]) -> asyncpg.Record:
    names = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders}) RETURNING *",
        *values.values(),
    )
    assert row is not None
    return row


async def update(
    conn: asyncpg.Connection, table: str, key: str, key_value: Any, changes: dict[str, Any]
) -> asyncpg.Record:
    names = list(changes)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    row = await conn.fetchrow(
        f"UPDATE {table} SET {assignments} WHERE {key} = $1 RETURNING *",
        key_value,
        *changes.values(),
    )
    assert row is not None
    return row


async def get(
    conn: asyncpg.Connection, table: str, key: str, key_value: Any, *, lock: bool = False
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT * FROM {table} WHERE {key} = $1{suffix}", key_value)
