"""One row of the legacy base file, read into a line record or refused with a reason.

The file format (shared with the synthetic base generator): msisdn, iccid, imsi, kind, state,
opened_on, channel_code, doc_type, doc_number, holder_name. A row whose line data is wrong is
refused (it cannot be loaded); a row whose identity is wrong is kept, because the line exists
in the network: it loads as legacy-unverified with the identity's reason code (RN-13 then
asks its holder to re-register).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from simreg.core.errors import InvalidInput
from simreg.identity.documents import Document, parse_document
from simreg.identity.names import validate_person_name
from simreg.lines.domain import (
    LineKind,
    LineState,
    RealNameState,
    parse_iccid,
    parse_imsi,
    parse_msisdn,
)

COLUMNS = (
    "msisdn",
    "iccid",
    "imsi",
    "kind",
    "state",
    "opened_on",
    "channel_code",
    "doc_type",
    "doc_number",
    "holder_name",
)

# The states a line can be in out in the network; reserved or pending review exist only
# inside simreg.
IMPORTABLE_STATES = frozenset(
    {
        LineState.ACTIVE,
        LineState.SUSPENDED_ONE_WAY,
        LineState.SUSPENDED_TWO_WAY,
        LineState.CANCELLED,
    }
)
_STATES = {state.value: state for state in IMPORTABLE_STATES}
_KINDS = {kind.value: kind for kind in LineKind}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MSISDN_PLAIN = re.compile(r"1[0-9]{10}")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a row was not loaded: a stable code and an English sentence for the reject file."""

    code: str
    message: str


@dataclass(frozen=True, slots=True, repr=False)
class LegacyIdentity:
    document: Document
    name: str

    def __repr__(self) -> str:
        # Records end up in debugger output and failing-test diffs; the identity must not.
        return f"LegacyIdentity({self.document!r})"


@dataclass(frozen=True, slots=True)
class LegacyLine:
    msisdn: str
    iccid: str
    imsi: str
    kind: LineKind
    state: LineState
    opened_on: date
    channel_code: str
    # A valid identity; or None, then identity_issue says why (None: the base had none).
    identity: LegacyIdentity | None
    identity_issue: str | None
    # The holder's name whenever it is a valid name, even beside an invalid document: the
    # call-centre agent asks for the holder by it (RN-13).
    holder_name: str | None = field(default=None, repr=False)

    @property
    def real_name_state(self) -> RealNameState:
        if self.identity is not None:
            return RealNameState.VERIFIED
        return RealNameState.LEGACY_UNVERIFIED


def _text(value: object) -> str:
    if type(value) is str:
        return value.strip()
    return "" if value is None else str(value).strip()


class RowReader:
    """Reads rows for one import run: the date identities are checked against, the channel
    codes that exist, and what it learnt about number segments along the way."""

    def __init__(self, *, today: date, channel_codes: Collection[str]) -> None:
        self.today = today
        self.channel_codes = channel_codes
        self._segments: dict[str, Rejection | None] = {}

    def read(self, row: Mapping[str, object]) -> LegacyLine | Rejection:
        return self.read_values(tuple(row.get(name) for name in COLUMNS))

    def read_values(self, values: Sequence[object]) -> LegacyLine | Rejection:
        """The row's values in COLUMNS order (the bulk path: no dict per row)."""
        (
            raw_msisdn,
            raw_iccid,
            raw_imsi,
            raw_kind,
            raw_state,
            raw_opened_on,
            raw_channel,
            raw_doc_type,
            raw_doc_number,
            raw_name,
        ) = values
        msisdn = self._msisdn(_text(raw_msisdn))
        if isinstance(msisdn, Rejection):
            return msisdn
        iccid = _card_field(_text(raw_iccid), parse_iccid, "LINE-ICCID", "ICCID")
        if isinstance(iccid, Rejection):
            return iccid
        imsi = _card_field(_text(raw_imsi), parse_imsi, "LINE-IMSI", "IMSI")
        if isinstance(imsi, Rejection):
            return imsi
        kind = _KINDS.get(_text(raw_kind).lower())
        if kind is None:
            return Rejection("IMPORT-KIND", "The kind must be voice or data.")
        state = _STATES.get(_text(raw_state).lower())
        if state is None:
            return Rejection(
                "IMPORT-STATE",
                "The state must be active, suspended_one_way, suspended_two_way or cancelled.",
            )
        opened_on = self._opened_on(raw_opened_on)
        if opened_on is None:
            return Rejection(
                "IMPORT-DATE",
                "opened_on must be a real date written YYYY-MM-DD, not after today.",
            )
        channel_code = _text(raw_channel)
        if channel_code not in self.channel_codes:
            shown = channel_code[:32] or "(empty)"
            return Rejection("IMPORT-CHANNEL", f"No channel has the code {shown}.")
        identity, issue, name = self._identity(
            _text(raw_doc_type), _text(raw_doc_number), _text(raw_name)
        )
        return LegacyLine(
            msisdn, iccid, imsi, kind, state, opened_on, channel_code, identity, issue, name
        )

    def _msisdn(self, raw: str) -> str | Rejection:
        if not raw:
            return Rejection("LINE-MSISDN", "The msisdn is missing.")
        if not _MSISDN_PLAIN.fullmatch(raw):
            return _parsed(raw, parse_msisdn)
        refused = self._segment_refusal(raw)
        return raw if refused is None else refused

    def plain_msisdn(self, raw: str) -> bool:
        """Whether a plain 11-digit number starting with 1 is a mainland mobile number (the
        vector checks ask this once per segment)."""
        return self._segment_refusal(raw) is None

    def _segment_refusal(self, raw: str) -> Rejection | None:
        # Whether a plain 11-digit number is a mainland mobile number depends on its first
        # digits only (number segments, 号段, are allocated 7 digits at a time; the CN
        # numbering metadata looks at 6 at most), so the answer is kept per segment. The
        # full parser is 90 µs a number, most of an import's time before this.
        segment = raw[:7]
        if segment not in self._segments:
            outcome = _parsed(raw, parse_msisdn)
            self._segments[segment] = outcome if isinstance(outcome, Rejection) else None
        return self._segments[segment]

    def _opened_on(self, value: object) -> date | None:
        if isinstance(value, date):
            day = value
        else:
            raw = _text(value)
            if not _ISO_DATE.fullmatch(raw):
                return None
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                return None
        return day if day <= self.today else None

    def _identity(
        self, doc_type: str, doc_number: str, raw_name: str
    ) -> tuple[LegacyIdentity | None, str | None, str | None]:
        if not (doc_type or doc_number or raw_name):
            return None, None, None
        name: str | None = None
        name_issue: str | None = None
        try:
            name = validate_person_name(raw_name)
        except InvalidInput as error:
            name_issue = error.code
        try:
            document = parse_document(doc_type, doc_number, today=self.today)
        except InvalidInput as error:
            return None, error.code, name
        if name is None:
            return None, name_issue, None
        return LegacyIdentity(document, name), None, name


def _parsed(raw: str, parse: Callable[[str], str]) -> str | Rejection:
    try:
        return parse(raw)
    except InvalidInput as error:
        return Rejection(error.code, error.message)


def _card_field(raw: str, parse: Callable[[str], str], code: str, label: str) -> str | Rejection:
    if not raw:
        return Rejection(code, f"The {label} is missing.")
    return _parsed(raw, parse)


class ChunkKeys:
    """The first row with a given msisdn, ICCID or IMSI wins within a chunk; later ones are
    refused. Rows repeated across chunks are caught by the database (same import run)."""

    def __init__(self) -> None:
        self._msisdns: set[str] = set()
        self._iccids: set[str] = set()
        self._imsis: set[str] = set()

    def repeated(self, msisdn: str, iccid: str, imsi: str) -> Rejection | None:
        for value, seen, label in (
            (msisdn, self._msisdns, "msisdn"),
            (iccid, self._iccids, "ICCID"),
            (imsi, self._imsis, "IMSI"),
        ):
            if value in seen:
                return duplicate(label)
        self._msisdns.add(msisdn)
        self._iccids.add(iccid)
        self._imsis.add(imsi)
        return None


def repeated_rows(msisdns: list[str], iccids: list[str], imsis: list[str]) -> dict[int, Rejection]:
    """The rows of a chunk (by position) that repeat an earlier row's msisdn, ICCID or IMSI,
    as ChunkKeys refuses them. A row whose three keys are each unique in the chunk can
    neither be refused nor cause a refusal, so only rows sharing a key go through ChunkKeys,
    in file order; a chunk with no repeat at all (nearly every one) costs three sets."""
    columns = (msisdns, iccids, imsis)
    size = len(msisdns)
    if all(len(set(column)) == size for column in columns):
        return {}
    shared_msisdns, shared_iccids, shared_imsis = (
        {value for value, count in Counter(column).items() if count > 1} for column in columns
    )
    keys = ChunkKeys()
    refused: dict[int, Rejection] = {}
    for at, (msisdn, iccid, imsi) in enumerate(zip(*columns, strict=True)):
        if msisdn in shared_msisdns or iccid in shared_iccids or imsi in shared_imsis:
            why = keys.repeated(msisdn, iccid, imsi)
            if why is not None:
                refused[at] = why
    return refused


def duplicate(label: str) -> Rejection:
    return Rejection(
        "IMPORT-DUPLICATE",
        f"An earlier row of the file has the same {label}; only the first one is loaded.",
    )


def card_taken(label: str) -> Rejection:
    code = "IMPORT-ICCID-TAKEN" if label == "ICCID" else "IMPORT-IMSI-TAKEN"
    return Rejection(code, f"The {label} already belongs to another number in simreg.")


MALFORMED = Rejection(
    "IMPORT-COLUMNS", f"The row does not have the {len(COLUMNS)} columns of the header."
)
