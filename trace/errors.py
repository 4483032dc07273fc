"""Domain errors: one exception type carrying its HTTP status, a machine-readable
code and a message in zh-CN and English.

Services raise these; one handler in ``trace.app`` renders them, so routes never
build ``HTTPException`` for business cases.
"""

from __future__ import annotations

from http import HTTPStatus
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


# Refusals the web framework makes before any route runs (no such path, a method the path
# does not take, a body that cannot be read), in the same shape and with stable codes.
FRAMEWORK_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("body_not_parseable", "请求体无法解析：请发送 UTF-8 编码、嵌套层数合理的 JSON",
          "The request body cannot be parsed: send UTF-8 JSON that is not nested too deeply"),
    401: ("not_authenticated", "需要登录：请携带 API 令牌", "Authentication required: send a bearer token"),
    403: ("forbidden", "无权访问", "Not allowed"),
    404: ("not_found", "没有这个地址，请检查路径", "Nothing is at this path; check the address"),
    405: ("method_not_allowed", "该地址不接受此请求方法", "This path does not accept this method"),
    406: ("not_acceptable", "无法以请求的格式答复", "Cannot answer in the format asked for"),
    413: ("body_too_large", "请求体过大", "The request body is too large"),
    415: ("unsupported_media_type", "不支持该请求体格式，请发送 JSON", "Unsupported body format; send JSON"),
    429: ("too_many_requests", "请求过于频繁，请稍后重试", "Too many requests; retry shortly"),
}


def framework_error(status: int, detail: Any = None, **details: Any) -> DomainError:
    """The documented error for an HTTP status the framework answered with."""
    code, zh, en = FRAMEWORK_ERRORS.get(status) or (
        ("request_refused", "请求被拒绝", "The request was refused") if status < 500
        else ("internal_error", "服务器内部错误，请稍后重试或联系管理员",
              "Internal server error; retry later or contact the administrator"))
    # The framework's own words, when they say more than the status (e.g. what in a multipart body failed).
    if isinstance(detail, str) and detail not in ("", en, _phrase(status)):
        details.setdefault("reason", detail)
    return DomainError(code, zh, en, status=status, **details)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
