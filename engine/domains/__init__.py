"""Domain services: inventory, DNS plans and checks with drift alerts, blacklists, expiry, DMARC progression.

Every service takes the acting person (`Actor`) and a `Clock`, checks access itself, and raises `UserError`s
whose keys live in `locales/*/domains.ftl`. Batch services called by crons accept `workspace_id=None` with
the system actor to cover every workspace. Names are stored in ASCII (punycode, `engine.dns.names.to_ascii`);
callers may pass Unicode.

The package is split along its seams: `inventory` (import, reading, settings, removal, expiry), `plans`
(DNS plans, apply, DKIM key, zone export, checks), `blacklists`, `dmarc` (the policy ladder); `state` derives
the honest blacklist and DNS state of a domain; `common` holds what they share. The names below are the
public services; `bot/` and `jobs/` import them from here.
"""

from engine.domains.blacklists import (
    BlacklistReport,
    check_all_blacklists,
    check_blacklists,
    check_shared_blacklists,
)
from engine.domains.common import DnsConfig
from engine.domains.dmarc import DmarcStep, apply_dmarc_step, dmarc_step_domain, dns_host, propose_dmarc_steps
from engine.domains.inventory import (
    MAX_IMPORT_ROWS,
    REGISTRARS,
    SETTABLE,
    DomainDetail,
    DomainField,
    DomainSummary,
    ExpiryNotice,
    FieldChange,
    ImportReport,
    ImportRow,
    Removal,
    RemovalChanged,
    RowError,
    StoredListing,
    StoredVerdict,
    add_domains,
    detect_provider,
    list_domains,
    names_list,
    parse_import,
    plan_removal,
    remove_domain,
    set_domain,
    show_domain,
    watch_expiry,
)
from engine.domains.plans import (
    WORST_SHOWN,
    ApplyChanged,
    ApplyView,
    DnsReport,
    DnsSummary,
    PlanView,
    apply_dns,
    check_all_dns,
    check_dns,
    dns_csv,
    domain_name,
    export_zone,
    export_zones,
    export_zones_zip,
    plan_dns,
    set_dkim,
    summarize_dns,
)
from engine.domains.resume import Resumable, ResumeChanged, Standing, resume_domain, resume_preview
from engine.domains.state import BlacklistState, DnsState, Health

__all__ = [
    "MAX_IMPORT_ROWS",
    "REGISTRARS",
    "SETTABLE",
    "WORST_SHOWN",
    "ApplyChanged",
    "ApplyView",
    "BlacklistReport",
    "BlacklistState",
    "DmarcStep",
    "DnsConfig",
    "DnsReport",
    "DnsState",
    "DnsSummary",
    "DomainDetail",
    "DomainField",
    "DomainSummary",
    "ExpiryNotice",
    "FieldChange",
    "Health",
    "ImportReport",
    "ImportRow",
    "PlanView",
    "Removal",
    "RemovalChanged",
    "Resumable",
    "ResumeChanged",
    "RowError",
    "Standing",
    "StoredListing",
    "StoredVerdict",
    "add_domains",
    "apply_dmarc_step",
    "apply_dns",
    "check_all_blacklists",
    "check_all_dns",
    "check_blacklists",
    "check_dns",
    "check_shared_blacklists",
    "detect_provider",
    "dmarc_step_domain",
    "dns_csv",
    "dns_host",
    "domain_name",
    "export_zone",
    "export_zones",
    "export_zones_zip",
    "list_domains",
    "names_list",
    "parse_import",
    "plan_dns",
    "plan_removal",
    "propose_dmarc_steps",
    "remove_domain",
    "resume_domain",
    "resume_preview",
    "set_dkim",
    "set_domain",
    "show_domain",
    "summarize_dns",
    "watch_expiry",
]
