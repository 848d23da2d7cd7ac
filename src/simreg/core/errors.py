"""Application errors carry a machine-readable code, a message in English and Chinese, and data.

Nothing below the entrypoints raises HTTP errors: each entrypoint maps these classes once
(API JSON ``{code, message, details}``, CLI exit code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the code a clerk or reviewer can look up (RN-05, DOC-CHECKSUM...)."""

    code: str
    message: str
    message_zh: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
        }
        if self.data:
            out["data"] = self.data
        return out


class DomainError(Exception):
    """Base of every error a user may see. ``code`` is stable; clients switch on it."""

    code: str = "ERROR"
    default_message: str = "The request could not be completed."
    default_message_zh: str = "请求无法完成。"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        message_zh: str | None = None,
        **details: Any,
    ) -> None:
        self.code = code or type(self).code
        self.message = message or self.default_message
        self.message_zh = message_zh or self.default_message_zh
        self.details: dict[str, Any] = details
        super().__init__(f"{self.code}: {self.message}")


class InvalidInput(DomainError):
    """The request is malformed or a field fails validation."""

    code = "INVALID_INPUT"
    default_message = "The request contains invalid data."
    default_message_zh = "请求包含无效数据。"


class RuleViolated(DomainError):
    """One or more RN rules refuse the request; ``details['violations']`` lists every one."""

    code = "RULE_VIOLATED"

    def __init__(self, violations: list[Violation]) -> None:
        if not violations:
            raise ValueError("RuleViolated needs at least one violation")
        first = violations[0]
        super().__init__(
            first.message,
            code=first.code,
            message_zh=first.message_zh,
            violations=[v.as_dict() for v in violations],
        )
        self.violations = violations


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "No such record."
    default_message_zh = "记录不存在。"


class Conflict(DomainError):
    """The record is not in a state that allows the action (a state-machine refusal)."""

    code = "CONFLICT"
    default_message = "The record is not in a state that allows this action."
    default_message_zh = "记录当前状态不允许此操作。"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    default_message = "A valid bearer token is required."
    default_message_zh = "需要有效的访问令牌。"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    default_message = "Your role or outlet does not allow this action."
    default_message_zh = "您的角色或网点无权执行此操作。"


class ConfigurationError(DomainError):
    code = "CONFIGURATION"
    default_message = "simreg is not configured correctly."
    default_message_zh = "系统配置不正确。"


class TooManyRequests(DomainError):
    """A public page or API asked too often (per client address or per document); the
    client may try again after ``details['retry_after']`` seconds."""

    code = "TOO-MANY-REQUESTS"
    default_message = "Too many requests; wait a little and try again."
    default_message_zh = "请求过于频繁，请稍后再试。"

    @property
    def retry_after(self) -> int:
        return int(self.details.get("retry_after", 60))
