"""Domain errors: one exception type carrying its HTTP status, a machine-readable
code and a message in zh-CN and English.

Services raise these; one handler in ``trace.app`` renders them, so routes never
build ``HTTPException`` for business cases.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the caller can act on (never a bug)."""

    status: int = 400

    def __init__(
        self,
        code: str,
        zh: str,
        en: str,
        *,
        status: int | None = None,
        **details: Any,
    ) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.zh = zh
        self.en = en
        if status is not None:
            self.status = status
        self.details = details

    def as_body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": {"zh-CN": self.zh, "en": self.en},
                "details": self.details,
            }
        }


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    """The request is well-formed but breaks a custody rule in the current state."""

    status = 409


class Invalid(DomainError):
    """The request carries a value the domain refuses (bad code, bad unit…)."""

    status = 422
