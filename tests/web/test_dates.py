"""Dates read as each language writes them (web/dates.py, config/formats): the genitive month
and lower-case names in Polish and Russian, "de dezembro" in Portuguese, no American date-times
in Estonian."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, translation

from web.dates import weekday_date

FRIDAY = datetime.date(2026, 12, 4)
AFTERNOON = datetime.datetime(2026, 12, 4, 14, 30)

EXPECTED = {
    # language: (weekday date, DATE_FORMAT, SHORT_DATE_FORMAT, DATETIME_FORMAT)
    "pl": ("piątek, 4 grudnia 2026", "4 grudnia 2026", "04.12.2026", "4 grudnia 2026, 14:30"),
    "ru": (
        "пятница, 4 декабря 2026 г.",
        "4 декабря 2026 г.",
        "04.12.2026",
        "4 декабря 2026 г., 14:30",
    ),
    "pt-br": (
        "sexta-feira, 4 de dezembro de 2026",
        "4 de dezembro de 2026",
        "04/12/2026",
        "4 de dezembro de 2026 às 14:30",
    ),
    "fr": ("vendredi 4 décembre 2026", "4 décembre 2026", "04/12/2026", "4 décembre 2026 14:30"),
    "et": (
        "reede, 4. detsember 2026",
        "4. detsember 2026",
        "04.12.2026",
        "4. detsember 2026, 14:30",
    ),
    "en": ("Friday, December 4, 2026", "Dec. 4, 2026", "12/04/2026", "Dec. 4, 2026, 2:30 p.m."),
}


@pytest.mark.parametrize("language", EXPECTED)
def test_dates_follow_the_languages_grammar(language):
    with translation.override(language):
        shown = (
            weekday_date(FRIDAY),
            formats.date_format(FRIDAY, "DATE_FORMAT"),
            formats.date_format(FRIDAY, "SHORT_DATE_FORMAT"),
            formats.date_format(AFTERNOON, "DATETIME_FORMAT"),
        )
    assert shown == EXPECTED[language]


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 12, 4, 13, 30, tzinfo=datetime.UTC), tick=False)
def test_the_technicians_day_is_dated_in_polish(tenant_a, technician_a, client):
    tenant_a.default_language = "pl"
    tenant_a.save()
    client.force_login(technician_a)
    html = client.get(reverse("home")).content.decode()
    assert "piątek, 4 grudnia 2026" in html
    assert "Piątek" not in html and "Grudzień" not in html
