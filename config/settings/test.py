import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
DATABASES["default"]["CONN_MAX_AGE"] = 0
LOGGING["root"]["level"] = "WARNING"

# Celery tests run a real worker (in a thread) against real Redis. A queue of this run's own
# keeps it from taking tasks meant for a development worker on the same Redis.
CELERY_TASK_DEFAULT_QUEUE = f"fieldline-test-{os.getpid()}"
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_IGNORE_RESULT = False

# A test database of this run's own, so that two test runs against one development server (a
# developer's and a helper's, or two terminals) never drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": f"test_fieldline_{os.getpid()}"}

# seed_demo may run in tests (the browser journeys seed the demo); production never allows it.
DEMO_DATA_ALLOWED = True

# Uploaded files (order photos) of this run go to a directory of its own, never into the
# development media (tests/conftest.py removes it when the run ends).
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="fieldline-test-media-"))
