"""seed_demo creates logins with published passwords: it refuses to run with production settings."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from tenancy.models import Tenant, User


@pytest.mark.django_db
def test_seed_demo_refuses_without_the_setting_and_creates_nothing(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="seed_demo refused"):
        call_command("seed_demo", verbosity=0)
    assert not Tenant.objects.exists()
    assert not User.objects.exists()


def test_seed_demo_refuses_with_the_production_settings():
    """The real production settings module, in a process of its own. Its database is one that
    does not exist: the command must stop before it would connect."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "fieldline.example.com",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/no_such_database",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the deployment checks refuse it
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "seed_demo refused" in result.stderr, result.stderr
