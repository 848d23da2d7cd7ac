"""Tables, in SQLAlchemy Core. Identity data is stored only as ciphertext, a masked form for
screens, and a keyed blind index for lookups and counting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so autoincrement works there.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcTimestamp(TypeDecorator[datetime]):
    """A moment, written in UTC. SQLite keeps a datetime's wall time and drops its offset, so
    a time typed in the operator's zone (a callback at 09:30 +08:00) would come back as 09:30
    UTC; converting on the way in keeps both databases right. Naive values are UTC already."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None and value.utcoffset():
            return value.astimezone(UTC)
        return value


Ts = UtcTimestamp()

org_units = Table(
    "org_units",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_id", Id, ForeignKey("org_units.id"), nullable=True, index=True),
    Column("created_at", Ts, nullable=False),
    CheckConstraint("level IN ('province', 'city', 'county')", name="level"),
)

channels = Table(
    "channels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("parent_channel_id", Id, ForeignKey("channels.id"), nullable=True),
    Column("created_at", Ts, nullable=False),
    Column("org_unit_id", Id, ForeignKey("org_units.id"), nullable=True, index=True),
    # The signed agreement carrying the real-name obligations (RN-08 admission).
    Column("agreement_no", String(64), nullable=True),
    Column("agreement_signed_on", Date, nullable=True),
    Column("agreement_valid_until", Date, nullable=True),
    Column("manager_name", String(200), nullable=True),
    CheckConstraint("kind IN ('own', 'social', 'online')", name="kind"),
    CheckConstraint(
        "status IN ('applied', 'admitted', 'active', 'suspended', 'terminated')", name="status"
    ),
)

channel_events = Table(
    "channel_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=False, index=True),
    Column("at", Ts, nullable=False),
    Column("actor_staff_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("details", JSON, nullable=True),
)

outlets = Table(
    "outlets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=False, index=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("address", String(400), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", Ts, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=False, index=True),
    Column("serial", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False),
    Column("enrolled_at", Ts, nullable=False),
    Column("revoked_at", Ts, nullable=True),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", Ts, nullable=False),
    # Argon2id hash; NULL means the account can use API tokens but cannot log in to pages.
    Column("password_hash", String(200), nullable=True),
    Column("must_change_password", Boolean, nullable=False, server_default=text("false")),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", Ts, nullable=True),
    Column("language", String(8), nullable=True),
    CheckConstraint("role <> 'clerk' OR outlet_id IS NOT NULL", name="clerk_has_outlet"),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Keyed hash of the cookie value: a copied database holds no usable session.
    Column("token_index", String(64), nullable=False, unique=True),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("expires_at", Ts, nullable=False),
    Column("revoked_at", Ts, nullable=True),
)

review_claims = Table(
    "review_claims",
    metadata,
    # One row per registration: the primary key is what stops two reviewers holding one item.
    Column("registration_id", String(32), ForeignKey("registrations.id"), primary_key=True),
    Column("reviewer_id", Id, ForeignKey("staff.id"), nullable=False, index=True),
    Column("claimed_at", Ts, nullable=False),
    Column("expires_at", Ts, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # HMAC of the token: a stolen database does not yield usable tokens.
    Column("token_index", String(64), nullable=False, unique=True),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=True, index=True),
    Column("device_id", Id, ForeignKey("devices.id"), nullable=True, index=True),
    Column("label", String(200), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("revoked_at", Ts, nullable=True),
    # A staff token stops working then (SIMREG_API_TOKEN_DAYS); NULL: a device token, or one
    # issued before tokens expired. Devices are revoked by their channel manager instead.
    Column("expires_at", Ts, nullable=True),
    CheckConstraint("(staff_id IS NULL) <> (device_id IS NULL)", name="one_holder"),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("doc_type", String(40), nullable=False),
    Column("doc_index", String(64), nullable=False, unique=True),
    Column("doc_number_enc", LargeBinary, nullable=False),
    Column("doc_masked", String(40), nullable=False),
    # Lines this document holds (pending review included, cancelled excluded): RN-05 is one
    # conditional increment of this column, atomic on every database.
    Column("held_lines", Integer, nullable=False),
    Column("created_at", Ts, nullable=False),
    CheckConstraint("held_lines >= 0", name="held_lines_nonnegative"),
)

lines = Table(
    "lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("msisdn", String(11), nullable=False, unique=True),
    Column("iccid", String(20), nullable=False, unique=True),
    Column("imsi", String(15), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),
    Column("state", String(24), nullable=False),
    Column("real_name_state", String(32), nullable=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=True, index=True),
    Column("reserved_by", Id, ForeignKey("staff.id"), nullable=True),
    Column("reserved_until", Ts, nullable=True),
    Column("opened_at", Ts, nullable=True),
    Column("updated_at", Ts, nullable=False),
    # The channel that opened the line (legacy base import); campaigns filter on it.
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=True, index=True),
    # A legacy line imported with identity data that failed validation keeps the reason code.
    Column("identity_issue", String(32), nullable=True),
    # The holder's name as the legacy base knew it (lines opened before registrations existed).
    Column("holder_name_enc", LargeBinary, nullable=True),
    Column("holder_name_masked", String(200), nullable=True),
    # The blind index of the document an RN-14 transfer named for this line: the reviewer of
    # its re-registration sees whether the document presented is that one.
    Column("named_doc_index", String(64), nullable=True),
    Column("imported_at", Ts, nullable=True),
    # A line allocated to a group customer (RN-12): held for the enterprise, opened only once
    # its actual user is verified and reviewed.
    Column("enterprise_id", Id, ForeignKey("enterprises.id"), nullable=True, index=True),
    CheckConstraint("kind IN ('voice', 'data')", name="kind"),
    CheckConstraint(
        "state IN ('available', 'reserved', 'pending_review', 'active', "
        "'suspended_one_way', 'suspended_two_way', 'cancelled')",
        name="state",
    ),
    Index("ix_lines_state_msisdn", "state", "msisdn"),
    Index("ix_lines_real_name_state", "real_name_state"),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(24), nullable=False),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False, index=True),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False, index=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=True),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=True),
    Column("device_id", Id, ForeignKey("devices.id"), nullable=True),
    Column("clerk_id", Id, ForeignKey("staff.id"), nullable=True),
    # counter: a clerk at an outlet; counter_rereg: a clerk re-registering a legacy line in
    # service; self_service: a subscriber re-registering through a link.
    Column("source", String(16), nullable=False, server_default=text("'counter'")),
    Column("campaign_target_id", Id, ForeignKey("campaign_targets.id"), nullable=True),
    Column("name_enc", LargeBinary, nullable=False),
    Column("name_masked", String(200), nullable=False),
    Column("inspection_method", String(16), nullable=False),
    Column("submitted_at", Ts, nullable=False),
    Column("reviewer_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("approved_at", Ts, nullable=True),
    Column("decided_at", Ts, nullable=True),
    Column("activated_at", Ts, nullable=True),
    Column("cancelled_at", Ts, nullable=True),
    Column("rejection_reasons", JSON, nullable=True),
    Column("rejection_comment", Text, nullable=True),
    Column("resubmission_of", String(32), ForeignKey("registrations.id"), nullable=True),
    CheckConstraint(
        "state IN ('pending_review', 'approved', 'active', 'rejected', 'cancelled')",
        name="state",
    ),
    # RN-06 in the schema: no row reaches approved or active without a reviewer's approval.
    CheckConstraint(
        "state NOT IN ('approved', 'active') "
        "OR (reviewer_id IS NOT NULL AND approved_at IS NOT NULL)",
        name="rn06_approved_before_open",
    ),
    CheckConstraint("state <> 'active' OR activated_at IS NOT NULL", name="active_has_time"),
    CheckConstraint(
        "source IN ('counter', 'counter_rereg', 'self_service', 'enterprise', 'online')",
        name="source",
    ),
    CheckConstraint(
        "source NOT IN ('counter', 'counter_rereg') "
        "OR (clerk_id IS NOT NULL AND outlet_id IS NOT NULL AND channel_id IS NOT NULL)",
        name="counter_has_clerk",
    ),
    Index("ix_registrations_state_submitted", "state", "submitted_at"),
    Index("ix_registrations_outlet_submitted", "outlet_id", "submitted_at"),
)

registration_photos = Table(
    "registration_photos",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "registration_id", String(32), ForeignKey("registrations.id"), nullable=False, index=True
    ),
    Column("kind", String(16), nullable=False),
    Column("store_key", String(32), nullable=False, unique=True),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("phash", String(16), nullable=True, index=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", Ts, nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("actor_staff_id", Id, ForeignKey("staff.id"), nullable=True, index=True),
    Column("device_id", Id, ForeignKey("devices.id"), nullable=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=True),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=True),
    Column("registration_id", String(32), nullable=True, index=True),
    Column("msisdn", String(11), nullable=True, index=True),
    # Blind index only: audit search by document works, the number itself is never stored here.
    Column("doc_index", String(64), nullable=True, index=True),
    Column("codes", String(200), nullable=True),
    Column("details", JSON, nullable=True),
    CheckConstraint("outcome IN ('ok', 'refused')", name="outcome"),
)

inspections = Table(
    "inspections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=False, index=True),
    Column("period", String(8), nullable=False),  # e.g. 2026Q4
    Column("reason", String(16), nullable=False),  # quarterly, risk, manual
    Column("inspector_id", Id, ForeignKey("staff.id"), nullable=True),
    Column("status", String(16), nullable=False),
    Column("result", String(8), nullable=True),
    Column("checklist", JSON, nullable=True),
    Column("notes", Text, nullable=True),
    Column("planned_at", Ts, nullable=False),
    Column("done_at", Ts, nullable=True),
    CheckConstraint("status IN ('planned', 'done')", name="status"),
    CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name="result"),
    Index("ix_inspections_period_channel", "period", "channel_id"),
)

violations = Table(
    "violations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=False, index=True),
    Column("rule", String(8), nullable=False),
    Column("source", String(16), nullable=False),  # inspection, review, manual
    Column("inspection_id", Id, ForeignKey("inspections.id"), nullable=True),
    Column("at", Ts, nullable=False),
    Column("recorded_by", Id, ForeignKey("staff.id"), nullable=False),
    Column("penalty", String(16), nullable=False),
    Column("points", Integer, nullable=False, server_default=text("0")),
    Column("fine_yuan", Integer, nullable=False, server_default=text("0")),
    Column("notes", Text, nullable=True),
    CheckConstraint("penalty IN ('warning', 'fine', 'suspension', 'termination')", name="penalty"),
)

seller_reports = Table(
    "seller_reports",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("address", String(500), nullable=False),  # shop URL or account handle
    Column("platform", String(100), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("observed_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reported_by", Id, ForeignKey("staff.id"), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("handed_over_at", Ts, nullable=True),
    Column("regulator_ref", String(100), nullable=True),
    Column("closed_at", Ts, nullable=True),
    Column("outcome", Text, nullable=True),
    CheckConstraint(
        "status IN ('reported', 'handed_over', 'taken_down', 'dismissed')", name="status"
    ),
)

inspection_evidence = Table(
    "inspection_evidence",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("inspection_id", Id, ForeignKey("inspections.id"), nullable=False, index=True),
    Column("store_key", String(32), nullable=False, unique=True),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("added_by", Id, ForeignKey("staff.id"), nullable=False),
    Column("added_at", Ts, nullable=False),
)


base_imports = Table(
    "base_imports",
    metadata,
    # One run of the legacy-base import: what was read, loaded, skipped and refused.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False, index=True),
    Column("started_at", Ts, nullable=False),
    Column("finished_at", Ts, nullable=True),
    Column("status", String(16), nullable=False),
    Column("rows_read", BigInteger, nullable=False, server_default=text("0")),
    Column("rows_loaded", BigInteger, nullable=False, server_default=text("0")),
    Column("rows_unchanged", BigInteger, nullable=False, server_default=text("0")),
    Column("rows_rejected", BigInteger, nullable=False, server_default=text("0")),
    Column("identity_invalid", BigInteger, nullable=False, server_default=text("0")),
    Column("actor_staff_id", Id, ForeignKey("staff.id"), nullable=True),
    # Bulk-load mode (ADR 0011): 'dropped' while this run has lines' non-unique indexes and
    # foreign keys off, 'restored' once they are back; NULL for a run that kept them.
    Column("bulk_load", String(16), nullable=True),
    CheckConstraint("status IN ('running', 'done', 'failed')", name="status"),
    CheckConstraint("bulk_load IN ('dropped', 'restored')", name="bulk_load"),
)

over_limit_cases = Table(
    "over_limit_cases",
    metadata,
    # RN-14: one document holding more lines than the limit, found, then resolved by a person.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False, index=True),
    # Equal to customer_id while the case is open, NULL once resolved: a unique column that
    # allows one open case per document on every database (NULLs never collide).
    Column("open_customer_id", Id, nullable=True, unique=True),
    Column("status", String(16), nullable=False),
    Column("held_when_found", Integer, nullable=False),
    Column("found_at", Ts, nullable=False),
    Column("assigned_to", Id, ForeignKey("staff.id"), nullable=True),
    Column("resolved_at", Ts, nullable=True),
    Column("resolved_by", Id, ForeignKey("staff.id"), nullable=True),
    Column("decision", JSON, nullable=True),
    Column("notes", Text, nullable=True),
    CheckConstraint("status IN ('open', 'resolved')", name="status"),
    CheckConstraint("(status = 'open') = (open_customer_id IS NOT NULL)", name="open_marker"),
)

campaigns = Table(
    "campaigns",
    metadata,
    # RN-13: re-registration of legacy lines, first by SMS, then by outbound call.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("filters", JSON, nullable=False),
    Column("sms_template", Text, nullable=False),
    Column("call_after_days", Integer, nullable=False),
    Column("link_valid_days", Integer, nullable=False),
    Column("deadline", Date, nullable=True),
    Column("two_way_after_days", Integer, nullable=True),
    Column("created_by", Id, ForeignKey("staff.id"), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("started_at", Ts, nullable=True),
    Column("closed_at", Ts, nullable=True),
    CheckConstraint("status IN ('draft', 'running', 'closed')", name="status"),
)

campaign_targets = Table(
    "campaign_targets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", Id, ForeignKey("campaigns.id"), nullable=False),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False, index=True),
    # Where the line belongs when targeted: the funnel per org unit does not move later.
    Column("org_unit_id", Id, ForeignKey("org_units.id"), nullable=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=True),
    Column("targeted_at", Ts, nullable=False),
    Column("sms_queued_at", Ts, nullable=True),
    Column("sms_sent_at", Ts, nullable=True),
    Column("sms_delivered_at", Ts, nullable=True),
    Column("sms_failed_at", Ts, nullable=True),
    Column("call_task_at", Ts, nullable=True),
    Column("called_at", Ts, nullable=True),
    Column("re_registered_at", Ts, nullable=True),
    Column("re_registered_after", String(8), nullable=True),  # sms or call
    Column("suspended_one_way_at", Ts, nullable=True),
    Column("suspended_two_way_at", Ts, nullable=True),
    Column("restored_at", Ts, nullable=True),
    CheckConstraint(
        "re_registered_after IS NULL OR re_registered_after IN ('sms', 'call')",
        name="re_registered_after",
    ),
    Index("ix_campaign_targets_campaign_line", "campaign_id", "line_id", unique=True),
)

call_tasks = Table(
    "call_tasks",
    metadata,
    # Step 2 of RN-13: one outbound-call task per target that did not re-register after SMS.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("target_id", Id, ForeignKey("campaign_targets.id"), nullable=False, unique=True),
    Column("campaign_id", Id, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("due_at", Ts, nullable=False),
    Column("assigned_to", Id, ForeignKey("staff.id"), nullable=True, index=True),
    Column("claimed_until", Ts, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_outcome", String(24), nullable=True),
    Column("callback_at", Ts, nullable=True),
    Column("created_at", Ts, nullable=False),
    Column("closed_at", Ts, nullable=True),
    CheckConstraint("status IN ('open', 'done')", name="status"),
    Index("ix_call_tasks_status_due", "status", "due_at"),
)

call_attempts = Table(
    "call_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("task_id", Id, ForeignKey("call_tasks.id"), nullable=False, index=True),
    Column("agent_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("at", Ts, nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("callback_at", Ts, nullable=True),
    Column("notes", Text, nullable=True),
)

sms_outbox = Table(
    "sms_outbox",
    metadata,
    # Written in the transaction that decides to send; a dispatcher sends after commit. The
    # unique key is what makes a step's message go out at most once, even across restarts.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(96), nullable=False, unique=True),
    Column("campaign_id", Id, ForeignKey("campaigns.id"), nullable=True, index=True),
    Column("target_id", Id, ForeignKey("campaign_targets.id"), nullable=True, index=True),
    Column("msisdn", String(11), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("not_before", Ts, nullable=False),
    Column("claimed_at", Ts, nullable=True),
    Column("sent_at", Ts, nullable=True),
    Column("message_id", String(64), nullable=True, index=True),
    Column("receipt_at", Ts, nullable=True),
    Column("receipt_status", String(16), nullable=True),
    Column("error", String(200), nullable=True),
    CheckConstraint(
        "status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'uncertain')",
        name="status",
    ),
    Index("ix_sms_outbox_status_not_before", "status", "not_before"),
)


identity_checks = Table(
    "identity_checks",
    metadata,
    # One answer of the identity authority ("is this document number held by this name?").
    # Only blind indexes are kept: the check can be proven and reused without the identity.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("doc_index", String(64), nullable=False),
    Column("name_index", String(64), nullable=False),
    Column("purpose", String(32), nullable=False),  # online_order, actual_user, enterprise_agent
    Column("result", String(16), nullable=False),
    Column("reference", String(64), nullable=True),  # the authority's reference for the answer
    Column("checked_at", Ts, nullable=False),
    Column("elapsed_ms", Integer, nullable=True),
    Column("from_cache", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("result IN ('match', 'mismatch', 'not_found', 'unavailable')", name="result"),
    Index("ix_identity_checks_doc_name_at", "doc_index", "name_index", "checked_at"),
)

enterprises = Table(
    "enterprises",
    metadata,
    # A group customer (RN-12): identified by its unified social credit code (GB 32100), with
    # a handling agent verified as an individual and an agreement carrying the real-name duty.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("credit_code", String(18), nullable=False, unique=True),
    Column("org_unit_id", Id, ForeignKey("org_units.id"), nullable=True, index=True),
    Column("account_manager_id", Id, ForeignKey("staff.id"), nullable=True, index=True),
    Column("agent_doc_type", String(40), nullable=False),
    Column("agent_doc_index", String(64), nullable=False, index=True),
    Column("agent_doc_number_enc", LargeBinary, nullable=False),
    Column("agent_doc_masked", String(40), nullable=False),
    Column("agent_name_enc", LargeBinary, nullable=False),
    Column("agent_name_masked", String(200), nullable=False),
    Column("agent_check_id", Id, ForeignKey("identity_checks.id"), nullable=True),
    Column("agreement_no", String(64), nullable=True, unique=True),
    Column("agreement_signed_on", Date, nullable=True),
    Column("agreement_valid_until", Date, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_by", Id, ForeignKey("staff.id"), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("updated_at", Ts, nullable=False),
    CheckConstraint("status IN ('draft', 'active', 'suspended', 'terminated')", name="status"),
    CheckConstraint(
        "status <> 'active' OR (agreement_no IS NOT NULL AND agreement_signed_on IS NOT NULL)",
        name="active_has_agreement",
    ),
)

actual_user_bindings = Table(
    "actual_user_bindings",
    metadata,
    # RN-12: one group line, one actual user. A change of user is a new binding and a new
    # review; the old one stays in force until the new one is approved.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("enterprise_id", Id, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False, index=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=False, index=True),
    Column("name_enc", LargeBinary, nullable=False),
    Column("name_masked", String(200), nullable=False),
    Column("status", String(24), nullable=False),
    # Set to line_id while the binding is in force (active) or on its way (verifying, in
    # review): unique nullable columns give one of each per line on every database.
    Column("active_line_id", Id, nullable=True, unique=True),
    Column("pending_line_id", Id, nullable=True, unique=True),
    # Whether this binding took one of the user's personal RN-05 slots (a setting).
    Column("counts_toward_limit", Boolean, nullable=False),
    Column("identity_check_id", Id, ForeignKey("identity_checks.id"), nullable=True),
    Column("next_check_at", Ts, nullable=True),
    Column("check_attempts", Integer, nullable=False, server_default=text("0")),
    Column("registration_id", String(32), ForeignKey("registrations.id"), nullable=True),
    Column("refusal_code", String(32), nullable=True),
    Column("created_by", Id, ForeignKey("staff.id"), nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("decided_at", Ts, nullable=True),
    Column("ended_at", Ts, nullable=True),
    CheckConstraint(
        "status IN ('verifying', 'pending_review', 'active', 'refused', 'rejected', 'ended')",
        name="status",
    ),
    CheckConstraint("(status = 'active') = (active_line_id IS NOT NULL)", name="active_marker"),
    CheckConstraint(
        "(status IN ('verifying', 'pending_review')) = (pending_line_id IS NOT NULL)",
        name="pending_marker",
    ),
    Index("ix_actual_user_bindings_registration", "registration_id", unique=True),
    Index("ix_actual_user_bindings_status_next_check", "status", "next_check_at"),
)

online_orders = Table(
    "online_orders",
    metadata,
    # RN-10/RN-11: a number chosen in the online shop, reserved for a while, then the ID scan,
    # the identity-authority check, central review, and the ID checked again at hand-over.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_no", String(16), nullable=False, unique=True),
    # Keyed hash of the secret the customer's browser holds; the order number alone opens
    # nothing.
    Column("access_index", String(64), nullable=False, unique=True),
    Column("line_id", Id, ForeignKey("lines.id"), nullable=False, index=True),
    # line_id while the order is open: one open order per number.
    Column("open_line_id", Id, nullable=True, unique=True),
    Column("status", String(24), nullable=False),
    Column("reserved_until", Ts, nullable=False),
    Column("fulfilment", String(16), nullable=True),
    Column("pickup_outlet_id", Id, ForeignKey("outlets.id"), nullable=True, index=True),
    Column("delivery_address_enc", LargeBinary, nullable=True),
    Column("delivery_address_masked", String(200), nullable=True),
    Column("contact_enc", LargeBinary, nullable=True),
    Column("contact_masked", String(20), nullable=True),
    Column("customer_id", Id, ForeignKey("customers.id"), nullable=True, index=True),
    Column("doc_index", String(64), nullable=True, index=True),
    Column("name_enc", LargeBinary, nullable=True),
    Column("name_masked", String(200), nullable=True),
    Column("identity_check_id", Id, ForeignKey("identity_checks.id"), nullable=True),
    Column("next_check_at", Ts, nullable=True),
    Column("check_attempts", Integer, nullable=False, server_default=text("0")),
    Column("registration_id", String(32), ForeignKey("registrations.id"), nullable=True),
    Column("refusal_code", String(32), nullable=True),
    Column("created_at", Ts, nullable=False),
    Column("submitted_at", Ts, nullable=True),
    # The submitted document number, encrypted, while the identity authority has not yet
    # answered: the RN-05 slot (and with it a customers row) is claimed only after a match,
    # so no document the authority does not know ever becomes a customer.
    Column("doc_number_enc", LargeBinary, nullable=True),
    Column("approved_at", Ts, nullable=True),
    Column("collect_by", Ts, nullable=True),  # uncollected after this, the order lapses
    Column("completed_at", Ts, nullable=True),
    Column("completed_by", Id, ForeignKey("staff.id"), nullable=True),
    Column("closed_at", Ts, nullable=True),
    CheckConstraint(
        "status IN ('reserved', 'verification_pending', 'in_review', 'ready', 'completed', "
        "'refused', 'expired', 'cancelled')",
        name="status",
    ),
    CheckConstraint(
        "fulfilment IS NULL OR fulfilment IN ('pickup', 'delivery')", name="fulfilment"
    ),
    CheckConstraint(
        "(status IN ('reserved', 'verification_pending', 'in_review', 'ready')) "
        "= (open_line_id IS NOT NULL)",
        name="open_marker",
    ),
    Index("ix_online_orders_registration", "registration_id", unique=True),
    Index("ix_online_orders_status_next_check", "status", "next_check_at"),
    Index("ix_online_orders_status_reserved_until", "status", "reserved_until"),
)

order_handovers = Table(
    "order_handovers",
    metadata,
    # Every attempt to hand a card over (pick-up at a hall, or the courier at the door): the
    # ID presented is compared with the one submitted online (RN-10); a mismatch is kept.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("online_orders.id"), nullable=False, index=True),
    Column("at", Ts, nullable=False),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=True),
    Column("method", String(16), nullable=False),
    Column("inspection_method", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("notes", Text, nullable=True),
    CheckConstraint("method IN ('pickup', 'delivery')", name="method"),
    CheckConstraint("outcome IN ('match', 'mismatch')", name="outcome"),
)

request_throttle = Table(
    "request_throttle",
    metadata,
    # Hits per bucket (a keyed hash of a client address or a document) per fixed window, for
    # the public pages; one conditional upsert per request, shared by every server process.
    Column("bucket", String(96), primary_key=True),
    Column("window_start", Ts, primary_key=True),
    Column("hits", Integer, nullable=False),
)

operator_switches = Table(
    "operator_switches",
    metadata,
    # Decisions the operator makes at run time, overriding the setting they start from: RN-11's
    # "online card sales open" (courier delivery offered) is one.
    Column("name", String(64), primary_key=True),
    Column("value", Boolean, nullable=False),
    Column("changed_at", Ts, nullable=False),
    Column("changed_by", Id, ForeignKey("staff.id"), nullable=True),
)

online_order_photos = Table(
    "online_order_photos",
    metadata,
    # The ID scan and portrait uploaded with an online order (RN-03, RN-10). They are kept
    # here while the identity authority is asked; a match copies them to the registration.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("online_orders.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("store_key", String(32), nullable=False, unique=True),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("phash", String(16), nullable=True),
)

report_censuses = Table(
    "report_censuses",
    metadata,
    # One daily snapshot of the lines in service (ADR 12): line-state figures as of a past day
    # are read from here, so next year's report of last month gives the same numbers.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, unique=True),  # the operator's calendar day
    Column("cutoff", Date, nullable=False),  # the new-customer cut-off the census used
    Column("taken_at", Ts, nullable=False),
    Column("elapsed_ms", Integer, nullable=False),
    Column("lines_in_service", BigInteger, nullable=False),
    Column("taken_by", Id, ForeignKey("staff.id"), nullable=True),  # NULL: the daily clock
)

report_census_counts = Table(
    "report_census_counts",
    metadata,
    # Counts of one (org unit, channel, line kind, opened since the cut-off) group; the org
    # unit is the channel's when the census was taken.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("census_id", Id, ForeignKey("report_censuses.id"), nullable=False, index=True),
    Column("org_unit_id", Id, ForeignKey("org_units.id"), nullable=True),
    Column("channel_id", Id, ForeignKey("channels.id"), nullable=True),
    Column("kind", String(8), nullable=False),
    Column("since_cutoff", Boolean, nullable=False),
    Column("in_service", BigInteger, nullable=False),
    Column("verified", BigInteger, nullable=False),
    Column("legacy_unverified", BigInteger, nullable=False),
    Column("reverification_pending", BigInteger, nullable=False),
    Column("suspended", BigInteger, nullable=False),
)
