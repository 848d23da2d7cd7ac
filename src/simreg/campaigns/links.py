"""Personal re-registration links: the campaign target and an expiry, signed with a key
derived from the master key. Nothing is stored per link; a forged or expired one is refused."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from simreg.core.crypto import BlindIndex
from simreg.core.errors import NotFound

_MAC_CHARS = 32  # 128 bits of HMAC-SHA256


@dataclass(frozen=True)
class LinkClaim:
    target_id: int
    expires_at: datetime


class LinkSigner:
    def __init__(self, key: BlindIndex, base_url: str) -> None:
        self._key = key
        self._base = base_url.rstrip("/")

    def token(self, target_id: int, expires_at: datetime) -> str:
        expires = int(expires_at.timestamp())
        return f"{target_id}.{expires}.{self._mac(target_id, expires)}"

    def url(self, target_id: int, expires_at: datetime) -> str:
        return f"{self._base}/r/{self.token(target_id, expires_at)}"

    def verify(self, token: str, now: datetime) -> LinkClaim:
        """The claim of a genuine, unexpired token; anything else looks like a dead link."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise _dead_link()
        target_id, expires = int(parts[0]), int(parts[1])
        if not hmac.compare_digest(parts[2], self._mac(target_id, expires)):
            raise _dead_link()
        expires_at = datetime.fromtimestamp(expires, UTC)
        if expires_at <= now:
            raise NotFound(
                "This link has expired; please re-register at a service hall with your ID card.",
                code="LINK-EXPIRED",
                message_zh="该链接已过期，请到营业厅办理补登。",
            )
        return LinkClaim(target_id, expires_at)

    def _mac(self, target_id: int, expires: int) -> str:
        return self._key.digest(f"reregister:{target_id}:{expires}")[:_MAC_CHARS]


def _dead_link() -> NotFound:
    return NotFound(
        "This link is not valid. Check that it was copied completely.",
        code="LINK-INVALID",
        message_zh="链接无效，请确认链接完整。",
    )
