from .base import *  # noqa: F401,F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# `manage.py seed_demo` creates logins with the README's published passwords: only where a
# settings module allows it (development and tests; never production).
DEMO_DATA_ALLOWED = True

# Mail in development (invitations, password reset links): one file per message in var/mail/,
# which `./dev run` names in its summary. DJANGO_EMAIL_BACKEND picks another backend.
MAIL_DIR = BASE_DIR / "var" / "mail"
_mail_backend = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
MAILERS = {"default": {"BACKEND": _mail_backend}}
if _mail_backend.endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {"file_path": str(MAIL_DIR)}
