"""Which API manages a domain's DNS: REG.RU for zones on its name servers, Yandex 360 for zones it hosts,
none (the person sets the records by hand from the plan) when no credentials are configured."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from engine.dns.adapters import regru, yandex360
from engine.dns.adapters.base import DnsProvider
from engine.dns.adapters.regru import RegRu
from engine.dns.adapters.yandex360 import Yandex360
from engine.ratelimit import SharedLimits
from engine.settings import Settings
from models.enums import MailProvider

REGRU_NAMES = frozenset({"regru", "reg.ru", "reg-ru"})


@dataclass
class DnsHosts:
    """Builds the adapter for a domain; one HTTP session per process, and each API account's request budget
    shared in Redis with every other process (`limits`; without it, a bucket of this process alone)."""

    settings: Settings
    session: aiohttp.ClientSession
    limits: SharedLimits | None = None

    def __post_init__(self) -> None:
        self._regru: RegRu | None = None
        self._yandex: Yandex360 | None = None

    def for_domain(self, registrar: str, mail_provider: MailProvider | None) -> DnsProvider | None:
        s = self.settings
        if registrar.strip().lower() in REGRU_NAMES and s.regru_username and s.regru_password:
            if self._regru is None:
                pace = regru.shared_pace(self.limits, s.regru_username) if self.limits else None
                self._regru = RegRu(
                    self.session,
                    username=s.regru_username,
                    password=s.regru_password,
                    base_url=s.regru_api_base,
                    bucket=pace,
                )
            return self._regru
        if mail_provider is MailProvider.YANDEX360 and s.yandex360_org_id and s.yandex360_token:
            if self._yandex is None:
                pace = yandex360.shared_pace(self.limits, s.yandex360_org_id) if self.limits else None
                self._yandex = Yandex360(
                    self.session,
                    org_id=s.yandex360_org_id,
                    token=s.yandex360_token,
                    base_url=s.yandex360_api_base,
                    bucket=pace,
                )
            return self._yandex
        return None
