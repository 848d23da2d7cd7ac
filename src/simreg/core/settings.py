"""Settings are read once, in the composition root, and passed down."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from pydantic import Field, field_validator
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
    api_token_days: int = Field(
        default=90, ge=0, le=3650, description="how long a staff API token works; 0: no end"
    )
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

    # RN-10: the identity authority every online and group registration is checked against.
    identity_authority_url: str = Field(
        default="", description="base URL of the identity-authority service; empty: none"
    )
    identity_authority_token: str = Field(
        default="", description="bearer token sent to the identity authority; empty: none"
    )
    identity_authority_timeout: float = Field(default=3.0, gt=0, le=60)
    identity_authority_retries: int = Field(default=2, ge=0, le=10)
    identity_authority_breaker_failures: int = Field(
        default=5, ge=1, description="consecutive failures that open the circuit breaker"
    )
    identity_authority_breaker_seconds: float = Field(
        default=30.0, gt=0, description="how long an open breaker refuses calls"
    )
    identity_check_cache_seconds: int = Field(
        default=24 * 3600, ge=0, description="how long a definite answer is reused"
    )
    identity_retry_seconds: int = Field(
        default=60, ge=1, description="first wait before an unavailable check is tried again"
    )
    # RN-12: whether actual users' group lines count toward their personal RN-05 limit.
    group_lines_count_toward_limit: bool = True
    # RN-11: online card sales (courier delivery). Closed by default: pick-up in a hall only.
    online_card_sales: bool = False
    online_reservation_minutes: int = Field(default=30, ge=1, le=24 * 60)
    online_collect_days: int = Field(
        default=7, ge=1, le=90, description="days to collect an approved order"
    )
    # Public pages: requests per client address and per document in a window.
    public_rate_per_address: int = Field(default=60, ge=1)
    public_rate_per_document: int = Field(default=5, ge=1)
    public_rate_window_seconds: int = Field(default=600, ge=1)
    document_checks_per_staff: int = Field(
        default=120, ge=1, description="a clerk's live document checks per window"
    )
    # The addresses whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated,
    # as uvicorn's forwarded_allow_ips). The default is a proxy on the same host (nginx
    # appending the client's address); empty believes none: for a server with nothing in
    # front, or a TCP pass-through that would let a client name its own address.
    trusted_proxies: str = "127.0.0.1"
    # Session and order cookies marked Secure (HTTPS only): None decides per request (plain
    # HTTP only on loopback, for the demo); set true in production behind TLS.
    secure_cookies: bool | None = None
    login_attempts_per_address: int = Field(
        default=100,
        ge=1,
        description="log-in attempts from one address per window: a hall's clerks behind one "
        "address at the start of a shift fit; locking account after account does not",
    )
    # Reporting (ADR 12): the new-customer cut-off, and how often the census beside
    # `simreg serve` refreshes today's counts (the last one of a day stands for that day).
    report_cutoff: date = Field(
        default=date(2013, 9, 1), description="lines opened since this day are new customers"
    )
    report_census_minutes: int = Field(default=60, ge=1, le=24 * 60)
    report_census_refresh_seconds: int = Field(
        default=120,
        ge=0,
        le=24 * 3600,
        description="a person asking this soon after the last census gets that one back",
    )
    report_pdf_font: Path | None = Field(
        default=None,
        description="TrueType font (.ttf/.ttc) with Chinese to embed in PDF reports; "
        "none: the standard STSong-Light, supplied by the reader's viewer",
    )
    operator_name: str = Field(
        default="", max_length=100, description="the operator's name on the regulator's reports"
    )

    @field_validator("report_pdf_font", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # SIMREG_REPORT_PDF_FONT= (set but empty) means no font file, not the current directory.
        return None if value == "" else value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'simreg.db').resolve()}"

    def api_token_expiry(self, issued: datetime) -> datetime | None:
        return issued + timedelta(days=self.api_token_days) if self.api_token_days else None

    @property
    def photo_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def sms_file(self) -> Path:
        """Where the file SMS gateway writes (demo and development)."""
        return self.data_dir / "sms" / "sent.jsonl"
