"""Customer names: validation of what the clerk typed, and masking for screens."""

from __future__ import annotations

import re
import unicodedata

from simreg.core.errors import InvalidInput

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NAME_SEPARATORS = frozenset(" ·•")


def mask_name(name: str) -> str:
    if _HAN.search(name):
        # Chinese names: the first character is the family name, which alone identifies nobody.
        rest = "".join(ch if ch in _NAME_SEPARATORS else "*" for ch in name[1:])
        return name[:1] + rest
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


_NAME_MAX = 64
_NAME_REJECTIONS: dict[str, tuple[str, str]] = {
    "empty": (
        "Enter the name exactly as printed on the document.",
        "请按证件上的姓名填写。",
    ),
    "too_long": (
        f"The name must be at most {_NAME_MAX} characters.",
        f"姓名不能超过{_NAME_MAX}个字符。",
    ),
    "digits": ("The name must not contain digits.", "姓名不能包含数字。"),
    "control": (
        "The name contains invisible or control characters; type it again.",
        "姓名包含不可见字符或控制字符，请重新输入。",
    ),
    "symbols": ("The name must not contain symbols or emoji.", "姓名不能包含符号或表情。"),
    "no_letters": ("The name must contain letters.", "姓名必须包含文字。"),
}


def validate_person_name(raw: str) -> str:
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    reason = _name_rejection(name)
    if reason is not None:
        message, message_zh = _NAME_REJECTIONS[reason]
        raise InvalidInput(
            message, code="NAME-INVALID", message_zh=message_zh, field="name", reason=reason
        )
    return name


def _name_rejection(name: str) -> str | None:
    if not name:
        return "empty"
    if len(name) > _NAME_MAX:
        return "too_long"
    categories = [unicodedata.category(ch) for ch in name]
    if any(c.startswith("N") for c in categories):
        return "digits"
    if any(c.startswith("C") for c in categories):
        return "control"
    if any(c.startswith("S") for c in categories):
        return "symbols"
    if not any(c.startswith("L") for c in categories):
        return "no_letters"
    return None
