"""Registrar and DNS-host APIs behind one small interface (`DnsProvider`, `Registrar`)."""

from engine.dns.adapters.base import ApiCall, ApplyResult, DnsProvider, Registrar, apply_nameservers, apply_plan
from engine.dns.adapters.http import RetryPolicy, TokenBucket
from engine.dns.adapters.regru import RegRu
from engine.dns.adapters.yandex360 import DkimStatus, NewMailbox, Yandex360

__all__ = [
    "ApiCall",
    "ApplyResult",
    "DkimStatus",
    "DnsProvider",
    "NewMailbox",
    "RegRu",
    "Registrar",
    "RetryPolicy",
    "TokenBucket",
    "Yandex360",
    "apply_nameservers",
    "apply_plan",
]
