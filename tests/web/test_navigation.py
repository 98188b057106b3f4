"""The menu: every registered entry leads somewhere."""

from django.urls import NoReverseMatch, reverse

from web.navigation import registered


def test_every_navigation_entry_has_a_url():
    broken = []
    for item in registered():
        try:
            reverse(item.url_name)
        except NoReverseMatch:
            broken.append(item.url_name)
    assert broken == []
