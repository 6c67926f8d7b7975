"""HTTP routes: authenticate, translate, delegate to one use case, translate back."""

from fastapi import APIRouter

from . import applications, companies, residents, vacancies
from .errors import install as install_error_handlers

router = APIRouter()
for module in (companies, vacancies, applications, residents):
    router.include_router(module.router)

__all__ = ["install_error_handlers", "router"]
