"""./dev run stops on a development database made by the old migration layout (scripts/devenv.py)
instead of migrating it, and ./dev reset-db asks before it drops anything."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_devenv():
    spec = importlib.util.spec_from_file_location("devenv", ROOT / "scripts" / "devenv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


devenv = _load_devenv()

# This checkout's layout, as far as these tests need it.
AVAILABLE = {
    "tenancy": {"0001_initial"},
    "web": {"0001_initial"},
    "sla": {"0001_initial"},
    "customers": {"0001_initial"},
    "agreements": {"0001_initial"},
    "service_orders": {"0001_initial"},
}
DJANGO = [("contenttypes", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
CURRENT = [(app, "0001_initial") for app in AVAILABLE]


def test_a_database_never_migrated_is_fine():
    assert devenv.migration_layout_problems([], AVAILABLE) == []


def test_a_database_of_the_current_layout_is_fine():
    assert devenv.migration_layout_problems(DJANGO + CURRENT, AVAILABLE) == []


def test_a_database_migrated_part_way_is_fine():
    applied = DJANGO + [("tenancy", "0001_initial"), ("sla", "0001_initial")]
    assert devenv.migration_layout_problems(applied, AVAILABLE) == []


@pytest.mark.parametrize(
    ("app", "name"),
    [
        ("agreements", "0002_agreement_states"),
        ("service_orders", "0002_order_generation_run"),
        ("tenancy", "0007_numbersequence_padding"),
    ],
)
def test_a_migration_this_checkout_does_not_have_is_named(app, name):
    applied = DJANGO + CURRENT + [(app, name)]
    problems = devenv.migration_layout_problems(applied, AVAILABLE)
    assert problems == [f"{app}: {name} is applied, but this checkout has no such migration"]


def test_agreements_without_customers_is_the_old_layout():
    applied = DJANGO + [
        ("tenancy", "0001_initial"),
        ("sla", "0001_initial"),
        ("agreements", "0001_initial"),
    ]
    [problem] = devenv.migration_layout_problems(applied, AVAILABLE)
    assert problem.startswith("agreements is migrated but customers is not")


def test_djangos_own_migrations_are_not_judged():
    applied = CURRENT + [("auth", "0099_from_a_newer_django")]
    assert devenv.migration_layout_problems(applied, AVAILABLE) == []


def test_the_checkouts_migrations_are_read_from_the_app_folders():
    available = devenv.available_migrations()
    assert "0001_initial" in available["tenancy"]
    assert "0001_initial" in available["customers"]
    assert "__init__" not in available["tenancy"]


def test_the_message_names_the_reset_command_and_changes_nothing(monkeypatch):
    monkeypatch.setattr(devenv, "applied_migrations", lambda url: [("agreements", "0002_x")])
    monkeypatch.setattr(devenv, "available_migrations", lambda: AVAILABLE)
    with pytest.raises(devenv.SetupError) as refused:
        devenv.check_migration_layout("postgres://fieldline@127.0.0.1/fieldline", external=False)
    message = str(refused.value)
    assert "agreements: 0002_x is applied" in message
    assert "./dev reset-db" in message and "Nothing was changed" in message


def test_for_a_database_url_the_message_says_to_reset_it_by_hand(monkeypatch):
    monkeypatch.setattr(devenv, "applied_migrations", lambda url: [("agreements", "0002_x")])
    monkeypatch.setattr(devenv, "available_migrations", lambda: AVAILABLE)
    with pytest.raises(devenv.SetupError) as refused:
        devenv.check_migration_layout("postgres://app:secret@db.example/app", external=True)
    message = str(refused.value)
    assert "by hand" in message and "./dev reset-db" not in message
    assert "secret" not in message


def test_reset_db_refuses_without_a_terminal_or_yes(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(devenv.SetupError, match="--yes"):
        devenv.reset_db(None, None, [])


def test_reset_db_refuses_a_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://app:secret@db.example/app")
    with pytest.raises(devenv.SetupError, match="by hand"):
        devenv.reset_db(None, None, ["--yes"])


def test_reset_db_on_a_terminal_does_nothing_unless_told_yes(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert devenv.reset_db(None, None, []) == 1
    assert "Nothing was changed" in capsys.readouterr().out
