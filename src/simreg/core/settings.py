"""Settings are read once, in the composition root, and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Read from ``SIMREG_*`` environment variables; every field has a safe default but the key."""

    model_config = SettingsConfigDict(env_prefix="SIMREG_", extra="ignore")

    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means an SQLite file in data_dir"
    )
    data_dir: Path = Field(default=Path("./simreg-data"))
    master_key: str = Field(default="", description="base64 32-byte key for identity data")
    demo: bool = False
    per_id_limit: int = Field(default=5, ge=1, le=100, description="RN-05 lines per document")
    enforce_per_id_limit: bool = Field(
        default=True, description="off only to measure the cost of RN-05 in benchmarks"
    )
    timezone: str = "Asia/Shanghai"
    penalty_scale: str = Field(default="", description="JSON penalty ladder; empty: default")
    photo_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    photo_max_pixels: int = Field(default=40_000_000, ge=10_000)
    photo_min_side: int = Field(default=32, ge=1)
    # RN-13 campaigns: the SMS gateway, its pace, and the link subscribers follow.
    sms_gateway: str = Field(default="file", pattern="^(file|smpp)$")
    smpp_host: str = "127.0.0.1"
    smpp_port: int = Field(default=2775, ge=1, le=65535)
    smpp_system_id: str = ""
    smpp_password: str = ""
    smpp_source_addr: str = Field(default="10086", description="sender shown on the phone")
    sms_rate_per_second: float = Field(default=20.0, gt=0, le=10_000)
    sms_quiet_hours: str = Field(
        default="21:00-08:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$|^$",
        description="local time range in which no SMS is sent; empty: none",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="where subscribers' links point"
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'simreg.db').resolve()}"

    @property
    def photo_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def sms_file(self) -> Path:
        """Where the file SMS gateway writes (demo and development)."""
        return self.data_dir / "sms" / "sent.jsonl"
