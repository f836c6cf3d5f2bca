"""Domain errors raised by services and turned into messages by views."""


class DomainError(Exception):
    """A rule of the program refused the change."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(DomainError):
    """A case or referral cannot move from its current state to the one asked."""


class NotPermitted(DomainError):
    """The actor may not do this."""


class Conflict(DomainError):
    """Someone else changed the record meanwhile."""


class ValidationFailed(DomainError):
    """Input that a form could not check on its own (for example an unknown agency)."""
