"""Domain errors: one exception type carrying its HTTP status, a machine-readable
code and a message in zh-CN and English.

Services raise these; one handler in ``trace.app`` renders them, so routes never
build ``HTTPException`` for business cases.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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


class ErrorMessage(BaseModel):
    zh_cn: str = Field(alias="zh-CN", examples=["批次 MS251101A 已被市场监管部门封存，解除封存前不能发货"])
    en: str = Field(examples=["Batch MS251101A is on hold and cannot be shipped"])


class ErrorDetail(BaseModel):
    code: str = Field(examples=["batch_on_hold"], description="Machine-readable reason")
    message: ErrorMessage
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    """Every refusal, in the OpenAPI document."""

    error: ErrorDetail


class ReviewWarning(BaseModel):
    """Something a person should check by hand; kept on the record, never a refusal."""

    code: str = Field(examples=["credit_code_inner_check_failed"])
    message: dict[str, str] = Field(description="zh-CN and en", examples=[{
        "zh-CN": "统一社会信用代码内层组织机构代码校验未通过，请人工复核",
        "en": "The organisation code inside the credit code fails its check; review by hand"}])
    details: dict[str, str] = Field(default_factory=dict)
