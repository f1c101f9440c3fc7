"""A lead's time zone as lead files write it: an IANA name, Moscow time or an offset (`engine.clock.typed_zone`),
or a city — Russian and CIS cities by their Russian names ("Новосибирск", "г. Екатеринбург", "Ростов-на-Дону"),
and any city that names an IANA zone ("Novosibirsk", "New York"). Pure.

A CRM export's "Часовой пояс" column often holds the city the client is in; read as no zone at all, such a lead
was written to at the campaign's hours while its own clock said otherwise, and nobody was told.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Final

from engine.clock import typed_zone

CITIES: Final = {
    **dict.fromkeys(("москва", "мск", "санкт петербург", "спб", "питер", "петербург", "казань", "нижний новгород",
                     "ростов на дону", "краснодар", "воронеж", "ярославль", "тула", "рязань", "тверь", "сочи",
                     "ставрополь", "махачкала", "мурманск", "архангельск", "киров", "пенза", "липецк", "белгород",
                     "курск", "брянск", "смоленск", "калуга", "владимир", "иваново", "кострома", "вологда",
                     "петрозаводск", "великий новгород", "псков", "чебоксары", "йошкар ола", "саранск",
                     "симферополь", "севастополь", "грозный", "владикавказ", "нальчик"), "Europe/Moscow"),
    "калининград": "Europe/Kaliningrad",
    **dict.fromkeys(("самара", "тольятти", "ижевск"), "Europe/Samara"),
    "ульяновск": "Europe/Ulyanovsk",
    "саратов": "Europe/Saratov",
    "астрахань": "Europe/Astrakhan",
    "волгоград": "Europe/Volgograd",
    **dict.fromkeys(("екатеринбург", "челябинск", "пермь", "уфа", "тюмень", "оренбург", "курган", "магнитогорск",
                     "сургут", "нижневартовск", "ханты мансийск", "салехард", "новый уренгой"), "Asia/Yekaterinburg"),
    "омск": "Asia/Omsk",
    "новосибирск": "Asia/Novosibirsk",
    "барнаул": "Asia/Barnaul",
    "томск": "Asia/Tomsk",
    **dict.fromkeys(("кемерово", "новокузнецк"), "Asia/Novokuznetsk"),
    **dict.fromkeys(("красноярск", "абакан", "норильск", "кызыл"), "Asia/Krasnoyarsk"),
    **dict.fromkeys(("иркутск", "улан удэ", "братск"), "Asia/Irkutsk"),
    "чита": "Asia/Chita",
    **dict.fromkeys(("якутск", "благовещенск"), "Asia/Yakutsk"),
    **dict.fromkeys(("владивосток", "хабаровск", "находка", "комсомольск на амуре"), "Asia/Vladivostok"),
    "южно сахалинск": "Asia/Sakhalin",
    "магадан": "Asia/Magadan",
    **dict.fromkeys(("петропавловск камчатский", "камчатка"), "Asia/Kamchatka"),
    "анадырь": "Asia/Anadyr",
    "минск": "Europe/Minsk",
    **dict.fromkeys(("киев", "київ"), "Europe/Kyiv"),
    **dict.fromkeys(("алматы", "алма ата", "астана", "нур султан"), "Asia/Almaty"),
    "ташкент": "Asia/Tashkent",
    "бишкек": "Asia/Bishkek",
    "ереван": "Asia/Yerevan",
    "тбилиси": "Asia/Tbilisi",
    "баку": "Asia/Baku",
    "кишинев": "Europe/Chisinau",
    "душанбе": "Asia/Dushanbe",
}  # fmt: skip
"""Cities of Russia and its neighbours by their Russian names (hyphens and "ё" as `_city` folds them)."""

_PREFIX: Final = re.compile(r"^(?:г\.?|город|гор\.)\s*", re.IGNORECASE)
_SEPARATORS: Final = re.compile(r"[\s\-_]+")
_REGIONS: Final = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


def _city(text: str) -> str:
    """A city name as compared: lower case, ё as е, "г. " dropped, hyphens, underscores and spaces as one space."""
    folded = _PREFIX.sub("", text.strip().lower().replace("ё", "е"))
    return _SEPARATORS.sub(" ", folded).strip(" .")


@functools.cache
def _iana_cities() -> dict[str, str]:
    """Every IANA zone of a region by the city that names it ("new york" → America/New_York); the first name of a
    city named twice (a zone and its old link) in sorted order."""
    cities: dict[str, str] = {}
    for name in sorted(zoneinfo.available_timezones()):
        region, _, city = name.partition("/")
        if region in _REGIONS and city:
            cities.setdefault(_city(city.rpartition("/")[2]), name)
    return cities


def lead_zone(text: str) -> str | None:
    """The IANA name of a lead's time zone as a file writes it (see the module docstring), None when it is none."""
    if len(text) > 64:
        return None
    if found := typed_zone(text):
        return found
    city = _city(text)
    return CITIES.get(city) or _iana_cities().get(city)
