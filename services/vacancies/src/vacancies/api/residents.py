"""A resident's data as vacancies holds it, for their request under UU 27/2022 (the registry
gathers every service's part). Operators only; each export is written to the audit log."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from kerjalokal.auth import audit
from kerjalokal.auth.fastapi import not_found

from ..services import residents
from .deps import Conn, Operator, now

router = APIRouter(tags=["residents"])
SECTIONS = ("projection", "training", "matches", "applications", "hires", "erasure")


@router.get("/residents/{resident_id}/export")
async def export(
    resident_id: UUID,
    conn: Conn,
    who: Operator,
    purpose: Annotated[str, Query(min_length=3, max_length=200, description="Why (audited)")],
) -> dict[str, Any]:
    """What vacancies holds about the resident: the facts matching reads, training, matches,
    applications with their history, hires (and the erasure, if any). 404 when nothing."""
    at = now()
    data = await residents.export(conn, resident_id)
    if data is None:
        raise not_found()
    await audit.record(
        conn, who=who, resident_id=resident_id, fields=SECTIONS, purpose=purpose, now=at
    )
    return {"service": "vacancies", "resident_id": resident_id, "exported_at": at, "data": data}
