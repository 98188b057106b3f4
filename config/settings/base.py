"""Settings shared by every environment. Secrets and URLs come from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "config.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django.contrib.postgres",
    "django_htmx",
    "django_filters",
    # Fieldline, in dependency order: each imports only apps above it (import-linter checks
    # it, see [tool.importlinter] in pyproject.toml). Demo data is seeded in this order too.
    "tenancy",
    "web",
    "accounts",
    "sla",
    "customers",
    "invoicing",
    "agreements",
    "subscriptions",
    "service_orders",
    "repairs",
    "dispatch",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Resolves the tenant, opens the request transaction and sets app.tenant_id in it.
    "tenancy.middleware.TenantMiddleware",
    # Language: the user's choice, else the tenant's default, else the browser's.
    "tenancy.middleware.TenantLocaleMiddleware",
    # With DEBUG on, our own 404 page instead of Django's list of URL patterns.
    "web.middleware.ProductNotFoundMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.tenancy",
            ],
        },
    },
]
FORM_RENDERER = "web.forms.FieldlineFormRenderer"

# The embedded server started by `./dev run` listens here; any server via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://fieldline@127.0.0.1:54329/fieldline"),
}
# PostgreSQL plus what a database distributed by tenant needs (GROUP BY, tenant-filtered
# UPDATE/DELETE): see tenancy/db_backend and docs/scaling.md.
DATABASES["default"]["ENGINE"] = "tenancy.db_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The tenant middleware opens the request transaction itself (it must set app.tenant_id inside
# it before the view runs), so ATOMIC_REQUESTS stays off: see docs/decisions/0002.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling: this many failures per e-mail or per address within the window.
LOGIN_FAILURE_LIMIT = env.int("FIELDLINE_LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_MINUTES = 15

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("pt-br", _("Portuguese (Brazil)")),
    ("ru", _("Russian")),
    ("pl", _("Polish")),
    ("fr", _("French")),
    ("et", _("Estonian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates per language grammar (genitive months, lower-case weekdays): see web/dates.py.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "media/"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6389/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    # Daily, early morning UTC. The job catches up on any days it missed (downtime), so a late
    # or skipped run loses nothing.
    "generate-service-orders": {
        "task": "tenancy.fan_out",
        "schedule": crontab(hour=1, minute=15),
        "args": ("service_orders.generate_orders_for_tenant",),
    },
    # Daily as well: expires agreements whose end date has passed in each tenant's own zone.
    # Idempotent, so a late or repeated run changes nothing twice.
    "expire-ended-agreements": {
        "task": "tenancy.fan_out",
        "schedule": crontab(hour=0, minute=45),
        "args": ("agreements.expire_ended",),
    },
}

# Pages must keep working when Redis is down, so the cache is per process, not Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

MAILERS = {
    "default": {
        "BACKEND": env(
            "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
        ),
    }
}
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Fieldline <noreply@fieldline.test>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Django's own logger has a console handler of its own; don't print its lines twice.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
    },
}
