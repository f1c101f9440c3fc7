"""Enumerations shared by models, engine and chat. Values are stored as text, so they never change meaning."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # agency admin: every workspace
    MANAGER = "manager"  # own workspaces
    CLIENT = "client"  # read-only reports of one workspace


class Platform(StrEnum):
    TELEGRAM = "telegram"
    SLACK = "slack"
    CONSOLE = "console"


class ChatPurpose(StrEnum):
    """What a bound chat receives; a notification's purpose says which chats it is for (`engine.people.chats_for`)."""

    ALERTS = "alerts"  # the managers' alerts and approval requests
    REPORTS = "reports"  # the managers' daily digest and the weekly client report
    CLIENT = "client"  # the client's chat: the weekly client report only, nothing operational


class PoolRole(StrEnum):
    ACTIVE = "active"
    RESERVE = "reserve"


class MailProvider(StrEnum):
    YANDEX360 = "yandex360"
    MAILRU = "mailru"
    GENERIC = "generic"


class DomainStatus(StrEnum):
    NEW = "new"
    DNS_PENDING = "dns_pending"
    WARMING = "warming"
    ACTIVE = "active"
    COOLING = "cooling"
    BURNED = "burned"
    RETIRED = "retired"


class DmarcPolicy(StrEnum):
    NONE = "none"
    QUARANTINE = "quarantine"
    REJECT = "reject"


class DnsRecordKind(StrEnum):
    MX = "mx"
    SPF = "spf"
    DKIM = "dkim"
    DMARC = "dmarc"
    TRACKING = "tracking"


class DnsVerdict(StrEnum):
    OK = "ok"
    MISSING = "missing"
    MISMATCH = "mismatch"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"


class ListingResult(StrEnum):
    LISTED = "listed"
    CLEAN = "clean"
    ERROR = "error"


class TlsMode(StrEnum):
    IMPLICIT = "implicit"  # TLS from the first byte (SMTPS 465, IMAPS 993)
    STARTTLS = "starttls"
    PLAIN = "plain"  # loopback test servers only


class AuthKind(StrEnum):
    PASSWORD = "password"  # noqa: S105 - a kind of credential, not one
    XOAUTH2 = "xoauth2"


class MailboxStatus(StrEnum):
    NEW = "new"
    WARMING = "warming"
    ACTIVE = "active"
    COOLDOWN = "cooldown"
    PAUSED = "paused"
    DISABLED = "disabled"
    RETIRED = "retired"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class EnrollmentState(StrEnum):
    ACTIVE = "active"
    REPLIED = "replied"
    COMPLETED = "completed"
    BOUNCED = "bounced"
    UNSUBSCRIBED = "unsubscribed"
    STOPPED = "stopped"


class LeadVerdict(StrEnum):
    UNKNOWN = "unknown"
    VALID = "valid"
    RISKY = "risky"
    INVALID = "invalid"


class SuppressionReason(StrEnum):
    BOUNCE = "bounce"
    UNSUBSCRIBE = "unsubscribe"
    COMPLAINT = "complaint"
    MANUAL = "manual"
    FORGOTTEN = "forgotten"  # the person's data was erased (/forget): only a keyed hash of the address is kept


class LegalBasis(StrEnum):
    """Why we may write to a lead (152-FZ art. 6 and 15, 38-FZ art. 18): recorded for every lead at import."""

    CONSENT = "consent"  # the person agreed to receive our mail (38-FZ art. 18 part 1; 152-FZ art. 9 and 15)
    CONTRACT = "contract"  # a contract with the person or their company (152-FZ art. 6 part 1 item 5)
    PUBLIC_CONTACT = "public_contact"  # a business contact the person published for such mail (art. 6 item 7)


class MessageKind(StrEnum):
    CAMPAIGN = "campaign"
    WARMUP = "warmup"
    TEST = "test"  # a campaign step sent to a manager's own address: counts toward caps, never toward results


class CapKind(StrEnum):
    """What held a mailbox's sends back on a day: the answer to "why didn't this send?"."""

    PROVIDER = "provider"  # the mail provider's own daily limit
    WARMUP = "warmup"  # the warmup ramp's target for the day
    HEALTH = "health"  # health factor x base cap (monitoring cut the volume)
    MAILBOX = "mailbox"  # the mailbox's own daily cap
    DOMAIN = "domain"  # the domain's share of its daily cap
    CAMPAIGN = "campaign"  # the campaign's daily cap
    WORKSPACE = "workspace"  # the workspace's daily cap
    STATUS = "status"  # paused, cooling down, disabled: nothing may go out
    WINDOW = "window"  # the send window has no room left today
    PEERS = "peers"  # warmup found no eligible peer mailbox


class MessageStatus(StrEnum):
    PLANNED = "planned"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class EventKind(StrEnum):
    SENT = "sent"
    OPEN = "open"
    CLICK = "click"
    REPLY = "reply"
    AUTO_REPLY = "auto_reply"
    BOUNCE_HARD = "bounce_hard"
    BOUNCE_SOFT = "bounce_soft"
    BOUNCE_BLOCK = "bounce_block"  # the receiver refused us (reputation, policy, authentication), not the lead
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    WARMUP_INBOX = "warmup_inbox"
    WARMUP_SPAM = "warmup_spam"
    SMTP_ERROR = "smtp_error"
    AUTH_ERROR = "auth_error"


class StatScope(StrEnum):
    MAILBOX = "mailbox"
    DOMAIN = "domain"
    CAMPAIGN = "campaign"
    WORKSPACE = "workspace"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKED = "acked"
    RESOLVED = "resolved"


class ApprovalKind(StrEnum):
    DOMAIN_SWAP = "domain_swap"
    DMARC_STEP = "dmarc_step"
    DNS_APPLY = "dns_apply"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    APPLIED = "applied"
