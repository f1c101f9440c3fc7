"""Counts in messages agree with their numbers in Russian (and English): "1 изменение", "3 раза"."""

from __future__ import annotations

from engine.i18n import translator

RU, EN = translator("ru"), translator("en")


def test_dns_plan_changes_agree_with_their_count() -> None:
    assert "(1 изменение у DNS-хостинга)" in RU("approval-dns-apply", domain="a.ru", calls=1)
    assert "(3 изменения у DNS-хостинга)" in RU("approval-dns-apply", domain="a.ru", calls=3)
    assert "(11 изменений у DNS-хостинга)" in RU("approval-dns-apply", domain="a.ru", calls=11)
    assert "(1 change at the DNS host)" in EN("approval-dns-apply", domain="a.ru", calls=1)


def test_refused_logins_agree_with_their_count() -> None:
    said = {n: RU("alert-mailbox-auth-disabled", mailbox="a@b.ru", via="smtp", failures=n, reason="-") for n in (3, 5)}
    assert "вход 3 раза подряд" in said[3] and "вход 5 раз подряд" in said[5]
