from .base import *  # noqa: F401,F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# `manage.py seed_demo` creates logins with the README's published passwords: only where a
# settings module allows it (development and tests; never production).
DEMO_DATA_ALLOWED = True
