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
    # Sign-in, password reset/change, two-factor, session list: docs/decisions/0010.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
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
    "returns",
    "dispatch",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Resolves the tenant, opens the request transaction and sets app.tenant_id in it.
    "tenancy.middleware.TenantMiddleware",
    # Language: the user's choice, else the tenant's default, else the browser's.
    "tenancy.middleware.TenantLocaleMiddleware",
    # Sends members of a tenant that requires two-factor sign-in (and platform admins where
    # FIELDLINE_PLATFORM_ADMIN_REQUIRES_2FA) to set it up before anything else.
    "accounts.middleware.TwoFactorRequiredMiddleware",
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
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth (docs/decisions/0010): e-mail and password, no sign-up (logins come from
# invitations), no username.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Every login's address is verified when the login is made (accounts.signals): invitations prove
# it, the platform operator and the demo seed vouch for it.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Fieldline] "
ACCOUNT_FORMS = {"login": "accounts.forms.SignInForm"}
# Failed sign-ins: per client address and per account (e-mail) within 15 minutes. Successful
# sign-ins give their attempt back; a password reset clears the account's count.
FIELDLINE_SIGN_IN_FAILURES_PER_ACCOUNT = env.int(
    "FIELDLINE_SIGN_IN_FAILURES_PER_ACCOUNT", default=5
)
FIELDLINE_SIGN_IN_FAILURES_PER_ADDRESS = env.int(
    "FIELDLINE_SIGN_IN_FAILURES_PER_ADDRESS", default=20
)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{FIELDLINE_SIGN_IN_FAILURES_PER_ADDRESS}/15m/ip,"
        f"{FIELDLINE_SIGN_IN_FAILURES_PER_ACCOUNT}/15m/key"
    ),
    "login": "30/m/ip",
    "reset_password": "20/m/ip,3/10m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# The client address for those limits: with N reverse proxies of ours in front, the N-th address
# from the right of X-Forwarded-For; 0 ignores the header (REMOTE_ADDR). docs/operations.md.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("FIELDLINE_TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Fieldline"
# A code also counts in the 30-second window either side of its own (RFC 6238 §5.2 allows one
# step of drift): a code typed on a phone as its window ends, or a clock a few seconds off, is not
# refused. A used code is still refused a second time.
MFA_TOTP_TOLERANCE = 1
# Sessions are recorded at sign-in; tracking every request would cost a write per page.
USERSESSIONS_TRACK_ACTIVITY = False
# Platform admins must use two-factor sign-in (production settings turn this on).
FIELDLINE_PLATFORM_ADMIN_REQUIRES_2FA = env.bool(
    "FIELDLINE_PLATFORM_ADMIN_REQUIRES_2FA", default=False
)
# How long an invitation link stays valid.
FIELDLINE_INVITATION_DAYS = 7

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
    # Daily: bills every subscription fee due through today in each tenant's zone; a run that
    # was missed is caught up by the next (due = next period <= today, looped until caught up).
    "bill-subscriptions": {
        "task": "tenancy.fan_out",
        "schedule": crontab(hour=2, minute=0),
        "args": ("subscriptions.bill_tenant",),
    },
    # Monthly: recognises the accrued revenue of the months that have ended (idempotent).
    "post-subscription-accruals": {
        "task": "tenancy.fan_out",
        "schedule": crontab(hour=3, minute=0, day_of_month=1),
        "args": ("subscriptions.post_accruals",),
    },
    # Every minute: SLA escalations (orders whose clock reached a level). Selects only the due
    # clocks (indexed), and each order and level is escalated once, so overlapping runs are safe.
    "sla-escalations": {
        "task": "tenancy.fan_out",
        "schedule": crontab(),
        "args": ("service_orders.sla_sweep",),
    },
    # Resumes suspended agreements on their planned day (before the orders are generated).
    "resume-suspended-agreements": {
        "task": "tenancy.fan_out",
        "schedule": crontab(hour=0, minute=50),
        "args": ("agreements.resume_due",),
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
        # WeasyPrint reports every step of every receipt at INFO; only its problems matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
