class DomainError(ValueError):
    """A rule said no; `reason` is bilingual (Bahasa Indonesia / English) and safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
