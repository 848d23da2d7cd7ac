"""Composition root: builds the real parts from settings, once, and wires them together."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import Engine

from simreg.adapters.analytics import DuckDbAnalytics
from simreg.adapters.identity_authority_http import HttpIdentityAuthority
from simreg.adapters.passwords import Argon2Passwords
from simreg.adapters.photos import EncryptedPhotoStore, verify_photo
from simreg.adapters.report_pdf import PdfMonthlyReport
from simreg.adapters.report_xlsx import XlsxMonthlyReport
from simreg.adapters.sms_file import FileSmsGateway
from simreg.adapters.sms_smpp import SmppGateway
from simreg.campaigns.call_centre import CallCentreService
from simreg.campaigns.links import LinkSigner
from simreg.campaigns.services import CampaignService
from simreg.channels.compliance import PenaltyScale
from simreg.channels.services import ChannelService, EvidenceStore
from simreg.core.clock import Clock, SystemClock
from simreg.core.crypto import IdentityVault, decode_master_key, generate_master_key
from simreg.core.errors import ConfigurationError
from simreg.core.photos import CheckedPhoto
from simreg.core.settings import Settings
from simreg.customers.bindings import BindingSettings
from simreg.customers.services import EnterpriseService
from simreg.db.campaign_store import SqlCampaignTransaction
from simreg.db.channel_store import SqlChannelTransaction
from simreg.db.engine import make_engine
from simreg.db.enterprise_store import SqlEnterpriseTransaction, follow_binding_decision
from simreg.db.identity_check_store import SqlIdentityCheckStore
from simreg.db.migrate import upgrade
from simreg.db.online_numbers import SqlNumberPool
from simreg.db.online_store import SqlShopTransaction, follow_order_decision
from simreg.db.over_limit_store import SqlOverLimitTransaction
from simreg.db.report_queries import SqlReportTransaction
from simreg.db.repositories import DecisionFollower, SqlRegistrationTransaction
from simreg.db.seller_store import SellerReports
from simreg.db.sms_outbox_store import SqlOutboxTransaction
from simreg.db.staff_store import SqlStaffTransaction
from simreg.db.throttle_store import SqlThrottleStore
from simreg.db.unit_of_work import SqlUnitOfWork
from simreg.identity.authority import IdentityAuthority, IdentityVerifier
from simreg.identity.verification import CachedIdentityVerifier, UnconfiguredAuthority
from simreg.legacy.over_limit_services import OverLimitService
from simreg.online.checks import IdentityChecks
from simreg.online.handover import HandoverDesk
from simreg.online.numbers import NumberSearch
from simreg.online.services import OnlineShop, ShopRules
from simreg.online.throttle import PublicThrottle, ThrottleLimits
from simreg.registration.self_service import SelfServiceReregistration
from simreg.registration.services import RegistrationService
from simreg.reporting.monthly import ExportFormat
from simreg.reporting.monthly_service import MonthlyReportService
from simreg.reporting.services import ReportService, ReportSettings
from simreg.sms.dispatch import SmsDispatcher
from simreg.sms.pacing import RateLimiter, SendWindow
from simreg.sms.ports import SmsGateway
from simreg.staff.ports import PasswordHasher
from simreg.staff.services import StaffService

DEMO_KEY_FILE = "demo-master.key"


@dataclass
class Simreg:
    settings: Settings
    engine: Engine
    vault: IdentityVault
    photo_store: EncryptedPhotoStore
    clock: Clock
    registrations: RegistrationService
    staff: StaffService
    channels: ChannelService
    sellers: SellerReports
    campaigns: CampaignService
    calls: CallCentreService
    over_limit: OverLimitService
    identity: IdentityVerifier  # RN-10: the identity authority, cached and recorded
    enterprises: EnterpriseService  # RN-12: group customers and their actual users
    shop: OnlineShop  # RN-10, RN-11: the online shop, its number search and hand-overs
    numbers: NumberSearch
    handovers: HandoverDesk
    reports: ReportService  # figures as of any day, the daily census (ADR 12)
    monthly_reports: MonthlyReportService  # the regulator's monthly XLSX and PDF (ADR 13)
    sms: SmsDispatcher | None = None  # the outbox dispatcher (sends only where started)
    # Registrations waiting on an unavailable identity authority: each retrier checks its own
    # waiting items again and returns how many it retried (`simreg identity retry-pending`,
    # and a thread beside `simreg serve`).
    pending_check_retriers: list[Callable[[], int]] = field(default_factory=list)

    def identity_connection(self) -> str:
        """This process's view of the identity authority: not configured, or its circuit
        breaker's state (closed: calls go through; open: refused for a while after repeated
        failures; half_open: one trial call)."""
        if not self.settings.identity_authority_url:
            return "not_configured"
        breaker = getattr(getattr(self.identity, "authority", None), "breaker", None)
        state = getattr(breaker, "state", None)
        return str(getattr(state, "value", state)) if state is not None else "unknown"

    def close(self) -> None:
        if self.sms is not None:
            self.sms.gateway.close()
        close_identity = getattr(self.identity, "close", None)
        if callable(close_identity):
            close_identity()
        close_analytics = getattr(self.reports.analytics, "close", None)
        if callable(close_analytics):
            close_analytics()  # the SQLite reader's worker processes
        self.engine.dispose()


def master_key(settings: Settings) -> bytes:
    """The identity-data key. Outside demo mode there is no fallback: refuse to start."""
    if settings.master_key:
        return decode_master_key(settings.master_key)
    if not settings.demo:
        raise ConfigurationError(
            "SIMREG_MASTER_KEY is not set. Identity data is encrypted at rest; generate a key "
            "with `simreg keygen` and keep it in your secret store.",
            code="MASTER-KEY-MISSING",
            message_zh="未设置 SIMREG_MASTER_KEY。身份数据须加密存储，"
            "请用 simreg keygen 生成密钥。",
        )
    # Demo mode keeps a generated key beside its own database so restarts can read old data.
    path = settings.data_dir / DEMO_KEY_FILE
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(generate_master_key())
    return decode_master_key(path.read_text())


def sms_gateway(settings: Settings, clock: Clock | None = None) -> SmsGateway:
    """The configured gateway: an SMPP connection to the SMSC, or the demo's JSON-lines file.
    Nothing connects until the first message."""
    clock = clock or SystemClock()
    if settings.sms_gateway == "smpp":
        return SmppGateway.from_settings(settings, clock)
    return FileSmsGateway(settings.sms_file, clock)


def sms_dispatcher(
    settings: Settings, engine: Engine, clock: Clock, campaigns: CampaignService
) -> SmsDispatcher:
    return SmsDispatcher(
        uow=SqlUnitOfWork(engine, SqlOutboxTransaction),
        gateway=sms_gateway(settings, clock),
        clock=clock,
        window=SendWindow.parse(settings.sms_quiet_hours, settings.timezone),
        limiter=RateLimiter(settings.sms_rate_per_second),
        personalise=lambda m: campaigns.personalise(m.campaign_id, m.target_id, m.body),
    )


def identity_verifier(
    settings: Settings, engine: Engine, vault: IdentityVault, clock: Clock
) -> CachedIdentityVerifier:
    """The authority over HTTP where a URL is configured; otherwise every check is
    unavailable (and nothing that needs one is ever activated)."""
    authority: IdentityAuthority = (
        HttpIdentityAuthority.from_settings(settings)
        if settings.identity_authority_url
        else UnconfiguredAuthority()
    )
    return CachedIdentityVerifier(
        authority,
        SqlIdentityCheckStore(engine),
        vault,
        clock,
        cache_seconds=settings.identity_check_cache_seconds,
    )


def online_shop(
    settings: Settings,
    engine: Engine,
    vault: IdentityVault,
    photo_store: EncryptedPhotoStore,
    clock: Clock,
    identity: IdentityVerifier,
    check_photo: Callable[[bytes], CheckedPhoto],
) -> tuple[OnlineShop, NumberSearch, HandoverDesk]:
    uow = SqlUnitOfWork(engine, SqlShopTransaction)
    shop = OnlineShop(
        uow=uow,
        vault=vault,
        photo_store=photo_store,
        check_photo=check_photo,
        clock=clock,
        checks=IdentityChecks(
            uow=uow,
            verifier=identity,
            vault=vault,
            clock=clock,
            per_id_limit=settings.per_id_limit,
            retry_seconds=settings.identity_retry_seconds,
        ),
        throttle=PublicThrottle(
            store=SqlThrottleStore(engine),
            keys=vault.tokens,
            clock=clock,
            limits=ThrottleLimits(
                settings.public_rate_per_address,
                settings.public_rate_per_document,
                settings.public_rate_window_seconds,
                settings.document_checks_per_staff,
                settings.login_attempts_per_address,
            ),
        ),
        rules=ShopRules(
            per_id_limit=settings.per_id_limit,
            reservation_minutes=settings.online_reservation_minutes,
            collect_days=settings.online_collect_days,
            card_sales=settings.online_card_sales,
        ),
    )
    handovers = HandoverDesk(uow=uow, vault=vault, clock=clock)
    return shop, NumberSearch(SqlNumberPool(engine)), handovers


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    passwords: PasswordHasher | None = None,
) -> Simreg:
    vault = IdentityVault(master_key(settings))
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        upgrade(engine)
    clock = clock or SystemClock()
    photo_store = EncryptedPhotoStore(settings.photo_dir, vault.files)
    identity = identity_verifier(settings, engine, vault, clock)
    check_photo = partial(
        verify_photo,
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        min_side=settings.photo_min_side,
    )
    # Group and online registrations move their binding or order with each review decision.
    followers: dict[str, DecisionFollower] = {
        "enterprise": follow_binding_decision,
        "online": partial(follow_order_decision, collect_days=settings.online_collect_days),
    }
    registrations = RegistrationService(
        uow=SqlUnitOfWork(engine, partial(SqlRegistrationTransaction, followers=followers)),
        vault=vault,
        photo_store=photo_store,
        check_photo=check_photo,
        clock=clock,
        per_id_limit=settings.per_id_limit,
        enforce_per_id_limit=settings.enforce_per_id_limit,
    )
    staff = StaffService(
        uow=SqlUnitOfWork(engine, SqlStaffTransaction),
        hasher=passwords or Argon2Passwords(),
        index=vault.tokens,
        clock=clock,
    )
    channels = ChannelService(
        uow=SqlUnitOfWork(engine, partial(SqlChannelTransaction, tokens=vault.tokens)),
        clock=clock,
        penalties=PenaltyScale.from_json(settings.penalty_scale),
        evidence=EvidenceStore(check=check_photo, store=photo_store),
        timezone=settings.timezone,
    )
    sellers = SellerReports(engine, clock)
    campaign_uow = SqlUnitOfWork(engine, SqlCampaignTransaction)
    campaigns = CampaignService(
        uow=campaign_uow,
        clock=clock,
        timezone=settings.timezone,
        links=LinkSigner(vault.links, settings.public_base_url),
        reregistration=SelfServiceReregistration(
            uow=SqlUnitOfWork(engine, SqlRegistrationTransaction),
            vault=vault,
            photo_store=photo_store,
            check_photo=check_photo,
            clock=clock,
            per_id_limit=settings.per_id_limit,
        ),
    )
    enterprises = EnterpriseService(
        uow=SqlUnitOfWork(engine, SqlEnterpriseTransaction),
        vault=vault,
        clock=clock,
        verifier=identity,
        binding=BindingSettings(
            per_id_limit=settings.per_id_limit,
            enforce_per_id_limit=settings.enforce_per_id_limit,
            count_toward_limit=settings.group_lines_count_toward_limit,
            retry_seconds=settings.identity_retry_seconds,
        ),
    )
    shop, numbers, handovers = online_shop(
        settings, engine, vault, photo_store, clock, identity, check_photo
    )
    reports = ReportService(
        uow=SqlUnitOfWork(engine, SqlReportTransaction),
        analytics=DuckDbAnalytics(settings.resolved_database_url()),
        clock=clock,
        settings=ReportSettings(
            settings.timezone,
            settings.report_cutoff,
            census_refresh_seconds=settings.report_census_refresh_seconds,
        ),
    )
    return Simreg(
        settings=settings,
        engine=engine,
        vault=vault,
        photo_store=photo_store,
        clock=clock,
        registrations=registrations,
        staff=staff,
        channels=channels,
        sellers=sellers,
        campaigns=campaigns,
        calls=CallCentreService(uow=campaign_uow, clock=clock),
        sms=sms_dispatcher(settings, engine, clock, campaigns),
        over_limit=OverLimitService(
            uow=SqlUnitOfWork(engine, SqlOverLimitTransaction),
            vault=vault,
            clock=clock,
            per_id_limit=settings.per_id_limit,
        ),
        identity=identity,
        enterprises=enterprises,
        shop=shop,
        numbers=numbers,
        handovers=handovers,
        reports=reports,
        monthly_reports=MonthlyReportService(
            reports=reports,
            renderers={
                ExportFormat.XLSX: XlsxMonthlyReport(),
                ExportFormat.PDF: PdfMonthlyReport(settings.report_pdf_font),
            },
            operator=settings.operator_name,
        ),
        pending_check_retriers=[enterprises.retry_pending, shop.retry_pending],
    )
