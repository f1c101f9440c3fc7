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


def test_upload_refusals_name_one_line_or_several() -> None:
    assert "(управляющие символы в строке 3)" in RU("error-upload-binary", lines="3", count=1)
    assert "(управляющие символы в строках 2, 5)" in RU("error-upload-binary", lines="2, 5", count=2)
    assert "строка 3 в Windows-1251" in RU("error-upload-mixed-encoding", lines="3", count=1)
    assert "(control characters on line 3)" in EN("error-upload-binary", lines="3", count=1)
    assert "lines 2, 4 are in Windows-1251" in EN("error-upload-mixed-encoding", lines="2, 4", count=2)


def test_dkim_key_bits_and_spf_lookups_agree_with_their_count() -> None:
    """'Ключ 1024 бит' (the short-key warning's own case) and 'SPF требует 21 DNS-запросов'."""
    short = RU("dns-problem-dkim-short-key", bits=1024, recommended=2048)
    assert short == "Ключ 1024 бита: допустимо, но рекомендуется 2048."
    assert RU("dns-problem-dkim-weak-key", bits=512, minimum=1024).startswith("Ключ 512 бит:")
    assert "слишком короткий: 1022 бита," in RU("error-dkim-weak-key", bits=1022, minimum=1024)
    assert RU("dkim-set-done", domain="a.ru", selector="mail", bits=2048).endswith("ключ 2048 бит.")
    assert "ключ 1024 бита." in RU("dkim-set-done", domain="a.ru", selector="mail", bits=1024)
    lookups = {n: RU("dns-problem-spf-too-many-lookups", count=n, limit=10) for n in (11, 21, 22)}
    assert "11 DNS-запросов" in lookups[11] and "21 DNS-запрос," in lookups[21] and "22 DNS-запроса" in lookups[22]
