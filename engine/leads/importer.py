"""Importing a lead file into a workspace, streamed, validated, in one transaction.

1. The size is checked first; a sample decides the format, encoding and delimiter (`engine.leads.reader`).
2. The header is mapped (`engine.leads.columns`); a first line that is a lead (no header row) is read as one,
   and of such a file only the addresses (`ImportReport.headerless_column` says so); lines of a title above the
   header row are skipped (`ImportReport.title_lines`). A file without an email
   column, without any legal basis (neither a column nor `basis=`) or without any source (neither a column nor
   `source=`) is refused before anything is written (152-FZ, 38-FZ: each lead keeps where it came from and why
   we may write to it). A basis is one of `LegalBasis`, named by the first word (`договор 12` → contract, the
   words kept as its note).
3. Records are read and checked offline in batches of `batch_rows` in a worker thread (never the whole file as
   rows in memory); duplicates within the file (by mailbox: case and a `+tag` aside) are found through a set of
   hashes. A row with a value past the header's last column is refused (`extra_cells`): a delimiter inside an
   unquoted value shifted it.
4. Each batch's new domains are asked of DNS (`engine.leads.domains`, bounded, cached), suppressions are looked
   up in one query (with the keyed hashes `/forget` leaves: an erased person is never stored again); suppressed
   rows are not stored at all; the other rows are COPYed into a temporary table and upserted with one
   `INSERT … SELECT … ON CONFLICT (workspace_id, email) DO UPDATE` (an existing lead gets the file's non-empty
   fields, never a second row); with a campaign, the batch's leads are enrolled (`engine.campaigns.enroll`).
5. Everything happens in one transaction: a failure in any batch leaves nothing written. With a campaign, the
   transaction holds the workspace's enrollment lock from its start: imports into campaigns of one workspace (and
   campaign starts) take turns, so one person is never enrolled twice by two of them at once.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO, Final

import dns.asyncresolver
from tortoise.transactions import in_transaction

from engine.access import Actor, require_manager
from engine.campaigns.enroll import EnrollReport, enroll, lock_enrollment
from engine.clock import Clock
from engine.compliance.hashing import AddressHasher
from engine.errors import Conflict, NotFound, UserError
from engine.leads.checks import AddressChecker, Checked, mailbox_of
from engine.leads.columns import BASIS_WORDS, ColumnMap, map_columns, parse_basis
from engine.leads.domains import DomainChecker, DomainMail, DomainStats
from engine.leads.reader import (
    MAX_COLUMNS,
    MAX_LEAD_FILE_BYTES,
    SAMPLE_BYTES,
    check_file_size,
    read_layout,
    rows,
    unpacked,
)
from engine.leads.report import Rejection
from engine.leads.suppression import is_suppressed
from engine.leads.zones import lead_zone
from engine.lifecycle import state_name
from engine.logging import get_logger
from models import Campaign
from models.enums import CampaignStatus, LeadVerdict

log = get_logger(__name__)

BATCH_ROWS: Final = 5_000  # rows per COPY + upsert: big enough to amortize round trips, small enough for memory
REPORT_MAX_ROWS: Final = 50_000  # rejection report rows kept; the rest are counted ("… and N more")
MAX_TEXT: Final = {"first_name": 200, "last_name": 200, "company": 300, "source": 200, "legal_basis": 200,
                   "timezone": 64}  # fmt: skip  # the Lead columns' lengths (legal_basis: its note's)
MAX_CUSTOM_VALUE: Final = 1000
ZONE_EXAMPLES: Final = 5  # time zones not understood, quoted in the reply
_MERGED: Final = ("first_name", "last_name", "company", "timezone")
"""What a duplicate row adds to the row kept before it, where that is empty (its source and basis are the kept
row's, which has both)."""


@dataclass(frozen=True)
class ImportOptions:
    """What the manager said besides the file: a campaign to enroll into, default source and legal basis,
    column overrides (`{"email": "Почта"}`)."""

    campaign: str | None = None
    source: str = ""
    legal_basis: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    check_dns: bool = True
    test_environment: bool = False  # let the reserved `.test` domain through (the harness's DNS)
    batch_rows: int = BATCH_ROWS
    max_bytes: int = MAX_LEAD_FILE_BYTES


@dataclass
class ImportReport:
    rows: int = 0  # data records read (the header not counted)
    imported: int = 0  # new leads
    updated: int = 0  # leads that existed in the workspace
    duplicates: int = 0  # repeated addresses within the file
    invalid: int = 0  # not a usable address, or a verdict `invalid` (stored, never enrolled)
    risky: int = 0
    unknown: int = 0  # DNS could not be asked (timeout, server failure) or was not asked
    suppressed: int = 0
    enrolled: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # enrollment skips by reason
    reasons: Counter[str] = field(default_factory=Counter)  # every non-clean reason, counted
    rejections: list[Rejection] = field(default_factory=list)  # the first REPORT_MAX_ROWS
    rejected: int = 0  # all rejections (the list may be cut)
    campaign: str | None = None
    dns: DomainStats = field(default_factory=DomainStats)
    headerless_column: int | None = None  # the file had no header row: the addresses came from this column (1-based)
    unread_columns: int = 0  # …and this many other columns of its first line were not read (no names for them)
    header_line: int = 1  # the line of the header row (1-based)
    title_lines: int = 0  # lines with text above it that were skipped (a title, a date): not leads, not the header
    delimiter: str = ";"  # the file's: the rejection report is separated the same way, for the Excel that saved it
    unnamed_columns: list[tuple[int, str]] = field(default_factory=list)  # (column, key): values under no header
    renamed_columns: list[tuple[str, str]] = field(default_factory=list)  # (header, key): a header seen again
    zones_unknown: int = 0  # rows whose time zone was not understood: their leads have none (the campaign's is used)
    zone_examples: list[str] = field(default_factory=list)  # a few of those values, as written

    def reject(self, line: int, raw: str, reason: str) -> None:
        self.rejected += 1
        self.reasons[reason] += 1
        if len(self.rejections) < REPORT_MAX_ROWS:
            self.rejections.append(Rejection(line, raw, reason))


@dataclass(slots=True)
class _Row:
    line: int
    raw: str
    checked: Checked
    fields: dict[str, str]
    custom: dict[str, str]


class _Parser:
    """Reads batches of checked rows from the record iterator (runs in a worker thread, one batch at a time)."""

    def __init__(
        self, records: Iterator[tuple[int, list[str]]], cmap: ColumnMap, options: ImportOptions, *, width: int
    ) -> None:
        self._records = records
        self._map = cmap
        self._width = width  # the header's columns: a value past them has no column (a stray delimiter?)
        self._options = options
        self._checker = AddressChecker(test_environment=options.test_environment)
        self._seen: set[int] = set()  # hash() of each mailbox: 1M addresses in ~60 MB instead of ~110 MB
        self._kept: dict[int, str] = {}  # …and the address stored for it, where that is not the mailbox (a +tag)
        self.report_rows = 0
        self.rejections: list[tuple[int, str, str]] = []
        self._columns = [(name, index, MAX_TEXT[name]) for name, index in cmap.fields.items() if name != "email"]
        self._custom = list(cmap.custom.items())
        self._unnamed = {index for index, header in cmap.renamed.items() if not header}
        self.unnamed_filled: set[int] = set()  # columns without a header that held a value (kept: the reply says so)
        self.zones_unknown = 0  # rows whose time zone was not understood (stored without one: the reply says so)
        self.zone_examples: dict[str, None] = {}
        self._defaults = {"source": options.source.strip()[: MAX_TEXT["source"]]}
        default_basis = parse_basis(options.legal_basis) if options.legal_basis.strip() else None
        if default_basis is not None:
            self._defaults |= {"legal_basis": default_basis[0].value, "basis_note": default_basis[1][:200]}

    def tell(self, report: ImportReport) -> None:
        """What the whole file showed, into the report: rows read, columns without a header that held values,
        time zones not understood."""
        report.rows = self.report_rows
        report.unnamed_columns = [(i + 1, self._map.custom[i]) for i in sorted(self.unnamed_filled)]
        report.zones_unknown, report.zone_examples = self.zones_unknown, list(self.zone_examples)

    def batch(self) -> tuple[list[_Row], list[tuple[int, str, str]], dict[str, _Row]] | None:
        """The next batch: rows to store, (line, raw email, reason) of the rows refused, and what the batch's
        duplicates add to rows kept before them (the kept row's address → the values for its empty fields: the
        kept row may be stored already, in an earlier batch, so they are added by an UPDATE, `_MERGE`). None at
        the end."""
        out: list[_Row] = []
        merges: dict[str, _Row] = {}  # kept address → a duplicate's values for its empty fields
        self.rejections = []
        email_at = self._map.fields["email"]
        for line, record in self._records:
            if not "".join(record).strip():
                continue  # a blank line (or only delimiters) is no record
            self.report_rows += 1
            raw = record[email_at] if email_at < len(record) else ""
            if any(cell.strip() for cell in record[self._width :]):  # a row shifted by a delimiter in a value
                self.rejections.append((line, raw, "extra_cells"))
            elif (checked := self._checker.check(raw)).email is None:
                self.rejections.append((line, raw, checked.reason))
            else:
                mailbox = mailbox_of(checked.email)
                key = hash(mailbox)  # `Ivan+news@` repeats `ivan@`: one inbox, one person
                row = self._row(line, raw, checked, record)
                if key in self._seen:
                    self.rejections.append((line, raw, "duplicate"))
                    if isinstance(row, _Row):
                        self._carry(merges, self._kept.get(key, mailbox), row)
                elif isinstance(row, str):  # not stored: a later row with a basis is no duplicate
                    self.rejections.append((line, raw, row))
                else:
                    self._seen.add(key)
                    if checked.email != mailbox:
                        self._kept[key] = checked.email
                    out.append(row)
            if len(out) + len(self.rejections) >= self._options.batch_rows:
                break
        if not out and not self.rejections:
            return None
        return out, self.rejections, merges

    @staticmethod
    def _carry(merges: dict[str, _Row], kept: str, row: _Row) -> None:
        """Add a duplicate's values to what the batch fills in the kept row's empty fields (earlier rows first)."""
        fields = {name: row.fields.get(name, "") for name in _MERGED}
        if not any(fields.values()) and not row.custom:
            return
        if (merged := merges.get(kept)) is None:
            merges[kept] = _Row(row.line, row.raw, row.checked, fields, dict(row.custom))
            return
        for name, value in fields.items():
            if not merged.fields[name]:
                merged.fields[name] = value
        merged.custom = row.custom | merged.custom

    def _row(self, line: int, raw: str, checked: Checked, record: list[str]) -> _Row | str:
        """The row to store, or the reason it is refused (no_legal_basis, bad_legal_basis, no_source)."""
        fields = dict(self._defaults)
        width = len(record)
        unknown_zone = ""
        for name, index, limit in self._columns:
            if index < width:
                value = record[index].strip()
                if name == "legal_basis" and value:
                    basis = parse_basis(value)
                    if basis is None:
                        return "bad_legal_basis"
                    fields |= {"legal_basis": basis[0].value, "basis_note": basis[1][:limit]}
                elif name == "timezone":  # named as IANA does, or a city (`zones.lead_zone`); else none, and said
                    if zone := lead_zone(value):
                        fields[name] = zone
                    elif value:
                        unknown_zone = value
                elif value:
                    fields[name] = value[:limit]
        if not fields.get("legal_basis"):
            return "no_legal_basis"
        if not fields.get("source"):
            return "no_source"
        if unknown_zone:  # a row stored without the zone it gave: counted, and a few quoted, for the reply
            self.zones_unknown += 1
            if len(self.zone_examples) < ZONE_EXAMPLES:
                self.zone_examples.setdefault(unknown_zone[:40], None)
        return _Row(line, raw, checked, fields, self._custom_values(record))

    def _custom_values(self, record: list[str]) -> dict[str, str]:
        custom = {}
        for index, key in self._custom:
            if index < len(record) and (value := record[index].strip()):
                custom[key] = value[:MAX_CUSTOM_VALUE]
                if index in self._unnamed:
                    self.unnamed_filled.add(index)
        return custom


async def import_leads(
    actor: Actor,
    data: bytes | BinaryIO,
    clock: Clock,
    *,
    options: ImportOptions | None = None,
    resolver: dns.asyncresolver.Resolver | None = None,
    redis: Any | None = None,
    hasher: AddressHasher | None = None,
) -> ImportReport:
    """Import a lead file (bytes, or a binary stream such as an open file) into the actor's workspace.

    `resolver` answers the MX/A lookups (None, or `options.check_dns` False: verdicts stay `unknown` with reason
    `dns_not_checked`); `redis` keeps DNS answers across imports; `hasher` (the deployment's, from its vault)
    finds the people `/forget` erased, who are then refused like any suppressed address.
    Raises `UserError`: `error-upload-too-large`,
    `error-leads-format` (names the format: XLSX, XLS, ZIP, PDF …), `error-leads-binary`, `error-leads-encoding`
    and `error-leads-csv` (name the line), `error-leads-empty` (no record), `error-leads-no-rows` (a header alone),
    `error-leads-no-email` (names the headers found),
    `error-leads-no-header`, `error-leads-unknown-field`, `error-leads-no-basis`, `error-leads-bad-basis`,
    `error-leads-no-source`; `NotFound`
    (`error-leads-campaign-not-found`), `Conflict` (`error-leads-enroll-closed`), `Forbidden`.
    """
    options = options or ImportOptions()
    workspace_id = require_manager(actor)
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    check_file_size(_size(stream), max_bytes=options.max_bytes)
    # off the loop: a zip's directory may list a million entries, and reading it is CPU work
    sample, unpacked_stream = await asyncio.to_thread(
        unpacked, stream, stream.read(SAMPLE_BYTES), max_bytes=options.max_bytes
    )
    layout = read_layout(sample)
    records = rows(unpacked_stream, layout)
    head = await asyncio.to_thread(_head, records, options)
    header, cmap = head.header, head.cmap
    _require_basis_and_source(cmap, options)
    campaign = await _campaign(workspace_id, options.campaign)
    checker = DomainChecker(resolver, redis=redis) if resolver is not None and options.check_dns else None
    report = ImportReport(
        campaign=campaign.name if campaign else None,
        headerless_column=head.headerless_column,
        unread_columns=head.unread_columns,
        header_line=head.line,
        title_lines=head.title_lines,
        delimiter=layout.delimiter,
    )
    parser = _Parser(head.records, cmap, options, width=head.width)
    now = clock.now()
    async with in_transaction() as conn:
        growth = await _prepare(conn, enrolling=workspace_id if campaign is not None else None)
        # The next batch is parsed in a worker thread while PostgreSQL stores this one (two processes, two cores).
        upcoming = asyncio.ensure_future(asyncio.to_thread(parser.batch))
        try:
            while (parsed := await upcoming) is not None:
                upcoming = asyncio.ensure_future(asyncio.to_thread(parser.batch))
                batch, rejections, merges = parsed
                for line, raw_email, reason in rejections:
                    if reason != "duplicate":
                        report.invalid += 1
                    else:
                        report.duplicates += 1
                    report.reject(line, raw_email, reason)
                if batch:
                    ids = await _store(
                        conn,
                        workspace_id,
                        batch,
                        report,
                        checker=checker,
                        now=now,
                        want_ids=campaign is not None,
                        hasher=hasher,
                    )
                    await growth.after(conn, report.imported)
                    if campaign is not None and ids:
                        enrolled = await enroll(actor, campaign.id, ids, clock)
                        _add_enrolled(report, enrolled)
                if merges:
                    await _merge(conn, workspace_id, merges, hasher=hasher)
        finally:
            if not upcoming.done():  # a failure here: let the thread finish its batch, its result is dropped
                await asyncio.wait([upcoming])
            if not upcoming.cancelled():
                upcoming.exception()  # retrieved: a second failure must not be reported as unhandled
        if not parser.report_rows:  # nothing was read, nothing stored: a header alone is no list of leads
            raise UserError("error-leads-no-rows", headers=", ".join(h.strip() for h in header if h.strip()))
    parser.tell(report)
    report.renamed_columns = [(h, cmap.custom[i]) for i, h in sorted(cmap.renamed.items()) if h]
    if checker is not None:
        report.dns = checker.stats
    log.info("leads imported", workspace_id=workspace_id, rows=report.rows, imported=report.imported,
             updated=report.updated, invalid=report.invalid)  # fmt: skip
    return report


@dataclass(frozen=True)
class _Head:
    """The header row and what it says: the column map, how many columns it names, and the records after it."""

    header: list[str]
    cmap: ColumnMap
    width: int
    records: Iterator[tuple[int, list[str]]]
    line: int = 1  # where the header row is (1-based)
    title_lines: int = 0  # lines with text above it, skipped
    headerless_column: int | None = None  # no header row: the column (1-based) the addresses were read from
    unread_columns: int = 0  # …and how many other columns of its first line hold values that were not read


MAX_TITLE_LINES: Final = 10
"""Lines above the header row a file may have (a report's title, its date, a blank merged row) before it is
refused as having no email column."""
_NOT_A_HEADER: Final = ("error-leads-no-email", "error-leads-no-header")


def _head(records: Iterator[tuple[int, list[str]]], options: ImportOptions) -> _Head:
    """The first record that is not blank (empty lines above the header are skipped), mapped. A first line
    that is a lead (a list exported without a header row) is read as one, and only the addresses of the file.
    A first line that maps no email column may be a title ("Клиенты на 01.12.2026", as CRM and 1C exports and
    hand-made sheets put one above the header), and one that maps it only through a cell mentioning email in a
    longer phrase may be a group heading ("Контактные данные (email, телефон)" above "Email;Имя;Компания"): the
    header is then the line of the first `MAX_TITLE_LINES` + 1 that names its columns best (`_naming`; the
    earliest of equals), as long as none of the lines before it holds an address (nothing that is a lead is
    skipped). A line that names the email column by a known name ends the search.
    Raises `UserError`: `error-leads-empty` (no record), and what `map_columns` raises for the first line."""
    filled = ((line, record) for line, record in records if "".join(record).strip())
    first = next(filled, None)
    if first is None:
        raise UserError("error-leads-empty")
    line, header = first
    email_at = _headerless(header, options)
    if email_at is None:
        refused: UserError | None = None
        try:
            cmap = map_columns(header, options.columns)
        except UserError as error:
            if error.key not in _NOT_A_HEADER:
                raise
            refused = error
        else:
            if not cmap.email_by_word:
                return _Head(header, cmap, len(header), records, line)
        best = _best_below(None if refused else _Head(header, cmap, len(header), records, line), filled, options)
        if best is None:
            assert refused is not None  # the first line mapped, or it was refused
            raise refused from None
        return best
    unread = sum(1 for i, cell in enumerate(header) if i != email_at and cell.strip())
    rest = itertools.chain([(line, header)], records)
    return _Head(header, ColumnMap({"email": email_at}), MAX_COLUMNS, rest, line, 0, email_at + 1, unread)


def _best_below(first: _Head | None, filled: Iterator[tuple[int, list[str]]], options: ImportOptions) -> _Head | None:
    """`_head`'s search below a first line that is a title (`first` None) or maps its email only by a phrase:
    the line of the next `MAX_TITLE_LINES` before any lead that names its columns best, `first` on a tie; the
    lines read after it go back in front of the rest of the file."""
    best = first
    read: list[tuple[int, list[str]]] = []  # lines past the first: rows after the header, or titles above it
    for line, record in itertools.islice(filled, MAX_TITLE_LINES):
        read.append((line, record))
        if _headerless(record, options) is not None:  # a lead: no header below it
            break
        try:
            candidate = map_columns(record, options.columns)
        except UserError as again:
            if again.key not in _NOT_A_HEADER:
                raise
            continue
        if best is None or _naming(candidate) > _naming(best.cmap):
            best = _Head(record, candidate, len(record), filled, line, len(read))
            if not candidate.email_by_word:
                break
    if best is None:
        return None
    return replace(best, records=itertools.chain(read[best.title_lines :], best.records))


def _naming(cmap: ColumnMap) -> tuple[bool, int]:
    """How well a mapped line names columns: the email by a known name beats a phrase that mentions it, then
    the more known fields the better."""
    return not cmap.email_by_word, len(cmap.fields)


def _headerless(header: list[str], options: ImportOptions) -> int | None:
    """The column of the address when the first line is a lead rather than a header row (a list exported
    without one, or a bare column of addresses), else None. No header is an email address; with column
    overrides the manager says the file has a header."""
    if options.columns:
        return None
    checker = AddressChecker(test_environment=options.test_environment)
    return next((i for i, cell in enumerate(header) if checker.check(cell).email is not None), None)


def _size(stream: BinaryIO) -> int:
    try:
        return os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        position = stream.tell()
        size = stream.seek(0, io.SEEK_END)
        stream.seek(position)
        return size


async def _campaign(workspace_id: int, name: str | None) -> Campaign | None:
    if not name:
        return None
    campaign = await Campaign.filter(workspace_id=workspace_id, name__iexact=name.strip()).first()  # as /campaign
    if campaign is None:
        raise NotFound("error-leads-campaign-not-found", name=name)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.ARCHIVED):
        raise Conflict("error-leads-enroll-closed", name=campaign.name, status=state_name("campaign", campaign.status))
    return campaign


def _add_enrolled(report: ImportReport, enrolled: EnrollReport) -> None:
    report.enrolled += enrolled.enrolled
    for reason, count in enrolled.skipped.items():
        report.skipped[reason] = report.skipped.get(reason, 0) + count


_LEAD_ROWS: Final = "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'lead'::regclass"
"""The rows the planner believes the lead table holds (its statistics, not a count)."""


@dataclass
class _Growth:
    """The lead table's statistics kept up with an import that grows it. A big import is one transaction: until it
    commits, autovacuum cannot see its rows, and the planner plans every later batch (the duplicate merge, the
    enrollment's look-ups by mailbox) for the table as it was — for a new workspace, for none of its leads — and
    picks scans that read the whole workspace for every address: minutes. `ANALYZE` inside the transaction samples
    its own new rows too; it runs once the import stored `ANALYZE_FIRST` rows, whatever the table holds (a big
    table's statistics know nothing of a new workspace: the fourth client of a new agency had its first 1,800 leads
    enrolled with the plan of an empty workspace, 2.2 s), then whenever the rows stored since the last one reach
    half of what the table held then (and at least `ANALYZE_AFTER`): a handful of times for a million rows, ~0.1 s
    each."""

    rows: int = 0
    analyzed_at: int = 0  # `report.imported` at the last ANALYZE

    async def after(self, conn: Any, imported: int) -> None:
        added = imported - self.analyzed_at
        if added >= (ANALYZE_FIRST if self.analyzed_at == 0 else max(ANALYZE_AFTER, self.rows // 2)):
            async with conn.acquire_connection() as raw:
                await raw.execute("ANALYZE lead")
            self.rows += added
            self.analyzed_at = imported


async def _prepare(conn: Any, *, enrolling: int | None) -> _Growth:
    """The import's staging table, and what the planner believes of the lead table as it starts. An import into a
    campaign first takes the workspace's enrollment lock (`lock_enrollment`), before any lead is locked: two such
    imports, or one and a campaign's start, enroll in turn, each seeing what the other enrolled (taken at the first
    batch's enrollment instead, after that batch locked its leads, two imports of overlapping files would deadlock)."""
    if enrolling is not None:
        await lock_enrollment(conn, enrolling)
    async with conn.acquire_connection() as raw:
        await raw.execute(_TEMP_TABLE)
        return _Growth(rows=int(await raw.fetchval(_LEAD_ROWS)))


ANALYZE_FIRST: Final = 1_000
"""New rows of an import before its first `ANALYZE`, whatever the table holds. At 20,000, a first import of 1,800
leads into a campaign enrolled them with the plan of an empty workspace: each candidate checked against every other
for suppressions and shared mailboxes (3.2 million comparisons, 6.5 s; 2,500 leads, 9.9 s); analyzed first, 0.2 s."""
ANALYZE_AFTER: Final = 20_000
"""New rows since the last `ANALYZE` before the next one (at least; and half of what the table held then)."""


async def _store(
    conn: Any,
    workspace_id: int,
    batch: list[_Row],
    report: ImportReport,
    *,
    checker: DomainChecker | None,
    now: Any,
    want_ids: bool,
    hasher: AddressHasher | None = None,
) -> list[int]:
    """Judge, COPY and upsert one batch; the ids of the leads that may be enrolled."""
    verdicts = await _verdicts(batch, checker)
    emails = [r.checked.email or "" for r in batch]
    suppressed = await is_suppressed(workspace_id, emails, hasher=hasher)
    records = []
    for row, (verdict, reason) in zip(batch, verdicts, strict=True):
        email = row.checked.email or ""
        if email in suppressed:  # never stored, counted once: nothing of an opted-out or erased person is written
            report.suppressed += 1
            report.reject(row.line, row.raw, "suppressed")
            continue
        if verdict is LeadVerdict.INVALID:
            report.invalid += 1
            report.reject(row.line, row.raw, reason)
        elif verdict is LeadVerdict.RISKY:
            report.risky += 1
            report.reasons[reason] += 1
        elif verdict is LeadVerdict.UNKNOWN:
            report.unknown += 1
            report.reasons[reason] += 1
        f = row.fields
        records.append((
            email, f.get("first_name", ""), f.get("last_name", ""), f.get("company", ""),
            json.dumps(row.custom, ensure_ascii=False), f.get("source", ""), f.get("legal_basis", ""),
            f.get("basis_note", ""), verdict.value, reason, f.get("timezone", ""),
        ))  # fmt: skip
    async with conn.acquire_connection() as raw:
        await raw.copy_records_to_table("lead_import", records=records, columns=_TEMP_COLUMNS)
        result = await raw.fetch(_UPSERT + (_ENROLLABLE if want_ids else _COUNTED), workspace_id, now)
        await raw.execute("TRUNCATE lead_import")
    if not want_ids:
        report.imported += int(result[0]["inserted"])
        report.updated += int(result[0]["total"]) - int(result[0]["inserted"])
        return []
    ids: list[int] = []
    for r in result:
        if r["inserted"]:
            report.imported += 1
        else:
            report.updated += 1
        if r["enrollable"]:  # suppressed leads are left to `enroll`, which counts them
            ids.append(int(r["id"]))
    return ids


async def _merge(conn: Any, workspace_id: int, merges: dict[str, _Row], *, hasher: AddressHasher | None) -> None:
    """Fill the empty fields of the kept rows' leads from their duplicates (one statement a batch, after the
    batch's upsert: the kept row is stored by then, in this batch or an earlier one). A suppressed address's
    lead is left alone, as its row was (a lead from before the opt-out may still be there)."""
    suppressed = await is_suppressed(workspace_id, list(merges), hasher=hasher)
    wanted = [(email, row) for email, row in merges.items() if email not in suppressed]
    if not wanted:
        return
    columns: list[list[str]] = [[email for email, _ in wanted]]
    columns += [[row.fields[name] for _, row in wanted] for name in _MERGED]
    columns.append([json.dumps(row.custom, ensure_ascii=False) for _, row in wanted])
    async with conn.acquire_connection() as raw:
        await raw.execute(_MERGE, workspace_id, *columns)


async def _verdicts(batch: list[_Row], checker: DomainChecker | None) -> list[tuple[LeadVerdict, str]]:
    """Each row's verdict: the offline one, made invalid or unknown by what DNS says of its domain."""
    if checker is None:
        return [
            (r.checked.verdict, r.checked.reason)
            if r.checked.verdict is not LeadVerdict.VALID
            else (LeadVerdict.UNKNOWN, "dns_not_checked")
            for r in batch
        ]
    wanted = {r.checked.email.rpartition("@")[2] for r in batch if r.checked.email and r.checked.verdict
              is not LeadVerdict.INVALID}  # fmt: skip
    answers = await checker.check(wanted)
    out: list[tuple[LeadVerdict, str]] = []
    for r in batch:
        if r.checked.verdict is LeadVerdict.INVALID:
            out.append((r.checked.verdict, r.checked.reason))
            continue
        mail = answers[(r.checked.email or "").rpartition("@")[2]]
        if mail is DomainMail.OK:
            out.append((r.checked.verdict, r.checked.reason))
        elif mail.known:
            out.append((LeadVerdict.INVALID, mail.value))
        else:
            out.append((LeadVerdict.UNKNOWN, mail.value))
    return out


_TEMP_COLUMNS: Final = ("email", "first_name", "last_name", "company", "custom", "source", "legal_basis", "basis_note",
                        "verdict", "verdict_reason", "timezone")  # fmt: skip
_TEMP_TABLE: Final = """
CREATE TEMP TABLE lead_import (
    email text, first_name text, last_name text, company text, custom jsonb, source text, legal_basis text,
    basis_note text, verdict text, verdict_reason text, timezone text
) ON COMMIT DROP
"""
# An existing lead keeps what the file leaves empty; a verdict from a hard bounce is never undone by a re-import.
_UPSERT: Final = """
WITH up AS (
INSERT INTO lead AS l (workspace_id, email, first_name, last_name, company, custom, source, legal_basis, basis_note,
                       verdict, verdict_reason, validated_at, timezone, created_at)
SELECT $1, email, first_name, last_name, company, custom, source, legal_basis, basis_note, verdict, verdict_reason,
       $2, timezone, $2
FROM lead_import
ON CONFLICT (workspace_id, email) DO UPDATE SET
    first_name = CASE WHEN EXCLUDED.first_name <> '' THEN EXCLUDED.first_name ELSE l.first_name END,
    last_name = CASE WHEN EXCLUDED.last_name <> '' THEN EXCLUDED.last_name ELSE l.last_name END,
    company = CASE WHEN EXCLUDED.company <> '' THEN EXCLUDED.company ELSE l.company END,
    custom = l.custom || EXCLUDED.custom,
    source = CASE WHEN EXCLUDED.source <> '' THEN EXCLUDED.source ELSE l.source END,
    legal_basis = EXCLUDED.legal_basis,
    basis_note = EXCLUDED.basis_note,
    timezone = CASE WHEN EXCLUDED.timezone <> '' THEN EXCLUDED.timezone ELSE l.timezone END,
    verdict = CASE WHEN l.verdict_reason IN ('hard_bounce', 'left_company') THEN l.verdict ELSE EXCLUDED.verdict END,
    verdict_reason = CASE WHEN l.verdict_reason IN ('hard_bounce', 'left_company') THEN l.verdict_reason
                          ELSE EXCLUDED.verdict_reason END,
    validated_at = EXCLUDED.validated_at
RETURNING l.id, l.verdict <> 'invalid' AS enrollable, (xmax = 0) AS inserted
)
"""
# A duplicate row's values go where the kept row's lead has none: never over a value, the lead's or an earlier row's.
# Each lead is found by its whole unique key in a subquery of its own, then updated by id: joined on the key, the plan
# of a table that grew within this import (statistics of when it was small) read every lead of the workspace and
# compared each with every duplicate — seconds a batch, 330 s for a first import of 1,000,000 rows.
_MERGE: Final = """
UPDATE lead l SET
    first_name = CASE WHEN l.first_name = '' THEN d.first_name ELSE l.first_name END,
    last_name = CASE WHEN l.last_name = '' THEN d.last_name ELSE l.last_name END,
    company = CASE WHEN l.company = '' THEN d.company ELSE l.company END,
    timezone = CASE WHEN l.timezone = '' THEN d.timezone ELSE l.timezone END,
    custom = d.custom::jsonb || (SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(l.custom) AS c(k, v)
                                 WHERE v <> '""'::jsonb)
FROM (
    SELECT (SELECT k.id FROM lead k WHERE k.workspace_id = $1 AND k.email = u.email) AS id,
        u.first_name, u.last_name, u.company, u.timezone, u.custom
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         AS u(email, first_name, last_name, company, timezone, custom)
) d
WHERE l.id = d.id AND jsonb_typeof(l.custom) = 'object'
"""
_COUNTED: Final = "SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) AS total FROM up"
_ENROLLABLE: Final = "SELECT id, enrollable, inserted FROM up"


def _require_basis_and_source(cmap: ColumnMap, options: ImportOptions) -> None:
    """Refuse a file that cannot give every lead a legal basis and a source, before anything is read."""
    if not cmap.has("legal_basis") and not options.legal_basis.strip():
        raise UserError("error-leads-no-basis", choices=_basis_choices())
    if options.legal_basis.strip() and parse_basis(options.legal_basis) is None:
        raise UserError("error-leads-bad-basis", value=options.legal_basis.strip()[:40], choices=_basis_choices())
    if not cmap.has("source") and not options.source.strip():
        raise UserError("error-leads-no-source")


def _basis_choices() -> str:
    return ", ".join(" / ".join(words) for words in BASIS_WORDS.values())
