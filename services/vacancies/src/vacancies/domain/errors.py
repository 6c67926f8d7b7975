"""What a rule says when it says no. Every reason is bilingual (Bahasa Indonesia / English) and
safe to show: it never carries a NIK or a person's contact details."""


class DomainError(ValueError):
    """A rule refused the request as a whole (HTTP 409)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FieldError(DomainError):
    """A rule refused one input field (HTTP 422); `loc` names it as FastAPI does."""

    def __init__(self, loc: tuple[str | int, ...], reason: str) -> None:
        super().__init__(reason)
        self.loc = loc


class NotFound(LookupError):
    """Nothing there, or nothing this principal may see: both answer 404 alike."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Duplicate(DomainError):
    """The thing exists already (HTTP 409 with a pointer to it)."""

    def __init__(self, reason: str, *, location: str) -> None:
        super().__init__(reason)
        self.location = location
