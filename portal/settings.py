"""Settings for the portal, read from the environment. See README.md and .env.example."""

import datetime
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal import embedded
from portal.env import env_bool, env_int, env_list, env_rate, env_secret, env_str, parse_email_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = (BASE_DIR / env_str("PORTAL_VAR_DIR", "var")).resolve()

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY and (VAR_DIR / "secret-key").is_file():
    # The checkout's own key, which `make run` generates once: `python manage.py …` in a checkout
    # uses it too, so that commands work without exporting anything.
    SECRET_KEY = (VAR_DIR / "secret-key").read_text(encoding="utf-8").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG off) refuses to start without one: set "
            "SECRET_KEY or SECRET_KEY_FILE, or DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (DEBUG only)
elif not DEBUG and (
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
):
    # Django's deployment check only warns; a guessable key signs sessions and password resets.
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak for production: it needs at least {SECRET_KEY_MIN_LENGTH} characters, "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and not the prefix "
        f"'{SECRET_KEY_INSECURE_PREFIX}'. Generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "simple_history",
    "axes",
    "portal",
    "decisions",
    "hotline",
    "newsletters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "portal.middleware.ChosenLanguageMiddleware",
    "portal.guard.GuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.roles.ActingUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.middleware.DatabaseOutageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "portal.context_processors.site",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, or the checkout's embedded PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {error}") from None
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://…).")
    # A server that does not answer is down: requests get 503 instead of waiting for ever. A
    # connection that broke (the server restarted) is noticed at the next request and replaced.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
    )
else:
    DATABASES = {"default": embedded.postgres(VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# PostgreSQL's client tools for `manage.py backup` and `restore` (portal/backups.py); empty: the
# version 16 ones the pgserver package brings.
PG_BIN_DIR = env_str("PG_BIN_DIR")

# Redis: the Celery broker and result store, and Django's cache.
REDIS_URL = env_str("REDIS_URL") or embedded.redis_url(VAR_DIR)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portal",
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Tasks are acknowledged after they ran and re-queued if a worker dies mid-task; every task
# that sends mail is idempotent, so running twice is safe and losing one is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "Europe/Copenhagen"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Mail whose worker died mid-batch, or whose retry is due (portal/outbox.py).
    "sweep-outbox": {"task": "portal.tasks.sweep_outbox", "schedule": 60.0},
    # Hotline answers flagged within a minute of a change to what they rely on (hotline/flagging.py).
    "keep-answers-current": {"task": "hotline.tasks.keep_answers_current", "schedule": 60.0},
    # One mail a day to each hotline lawyer with something due (hotline/cases.py), on weekdays.
    "hotline-reminders": {
        "task": "hotline.tasks.send_reminders",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon-fri"),
    },
    # Askers' names and addresses erased HOTLINE_RETENTION_MONTHS after their question closed.
    "hotline-retention": {
        "task": "hotline.tasks.erase_personal_data",
        "schedule": crontab(hour=3, minute=15),
    },
    # News read from the change feeds while fresh (newsletters/collecting.py).
    "collect-news": {"task": "newsletters.tasks.collect_news", "schedule": 60.0},
    # Digests (newsletters/digests.py), in Copenhagen time (CELERY_TIMEZONE): "immediately" every
    # 5 minutes (news within 15), daily on weekdays at 07:00, weekly on Mondays at 07:00.
    "digests-immediately": {
        "task": "newsletters.tasks.send_digests",
        "schedule": crontab(minute="*/5"),
        "args": ["immediately"],
    },
    "digests-daily": {
        "task": "newsletters.tasks.send_digests",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon-fri"),
        "args": ["daily"],
    },
    "digests-weekly": {
        "task": "newsletters.tasks.send_digests",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
        "args": ["weekly"],
    },
    "finish-digests": {"task": "newsletters.tasks.finish_digests", "schedule": 600.0},
    # Newsletter issues sent at their set time.
    "send-due-issues": {"task": "newsletters.tasks.send_due_issues", "schedule": 60.0},
    # Unconfirmed sign-ups deleted after 7 days, unsubscribed addresses after 30.
    "newsletters-retention": {
        "task": "newsletters.tasks.clean_up_subscribers",
        "schedule": crontab(hour=3, minute=30),
    },
}
# Subscribers served per transaction by a digest run: memory holds one chunk (newsletters/digests.py).
DIGEST_CHUNK = env_int("DIGEST_CHUNK", 500)
# How long a hotline asker's name and e-mail are kept after the question is closed (months).
HOTLINE_RETENTION_MONTHS = env_int("HOTLINE_RETENTION_MONTHS", 24)
# Where the search's Danish lexicon (decisions/danish.py) is kept, built on first use.
LEXICON_DIR = Path(env_str("LEXICON_DIR", str(VAR_DIR)))

# Mail: EMAIL_URL, or EMAIL_HOST and friends, or one .eml file per message in $PORTAL_VAR_DIR/mail.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Principportalen <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env_str("EMAIL_URL"):
    _smtp = parse_email_url(env_str("EMAIL_URL"))
elif env_str("EMAIL_HOST"):
    _smtp = {
        "host": env_str("EMAIL_HOST"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_secret("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
else:
    _smtp = None
if _smtp:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {**_smtp, "timeout": env_int("EMAIL_TIMEOUT", 20)},
        }
    }
else:
    MAILERS = {
        "default": {"BACKEND": "portal.mail.EmlFileBackend", "OPTIONS": {"file_path": VAR_DIR / "mail"}}
    }

# Admin logins: after ADMIN_LOGIN_FAILURES wrong passwords for one username from one address, that
# pair is locked out for ADMIN_LOCKOUT_MINUTES (django-axes; staff see and reset lockouts in the
# admin, or run `manage.py axes_reset`). By username and address together, so that nobody can lock
# a colleague out from elsewhere; the address is the one the rate limits use.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("ADMIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "portal.ratelimit.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.ratelimit.login_locked_out"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed files with content hashes in their names, cached for ever by browsers.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],  # read-only endpoints
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.AnonymousThrottle", "portal.api.ClientThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.schema.ApiSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "portal.api.ContentNegotiation",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Rate limits (portal/ratelimit.py), requests per second/minute/hour/day. Anonymous API callers,
# wrong API keys, the search page and the feed are counted per address; API clients per client,
# unless the client has its own rate (admin).
API_ANONYMOUS_RATE = env_rate("API_ANONYMOUS_RATE", "60/minute")
API_CLIENT_RATE = env_rate("API_CLIENT_RATE", "20000/hour")
API_KEY_FAILURE_RATE = env_rate("API_KEY_FAILURE_RATE", "30/hour")
# Generous: a municipality's caseworkers often share one address.
SEARCH_RATE = env_rate("SEARCH_RATE", "600/minute")
SUGGEST_RATE = env_rate("SUGGEST_RATE", "1200/minute")
FEED_RATE = env_rate("FEED_RATE", "120/minute")
# The hotline's forms: questions per address and per e-mail, and reports of outdated answers.
HOTLINE_ASK_RATE = env_rate("HOTLINE_ASK_RATE", "10/hour")
HOTLINE_ASK_EMAIL_RATE = env_rate("HOTLINE_ASK_EMAIL_RATE", "10/day")
HOTLINE_REPORT_RATE = env_rate("HOTLINE_REPORT_RATE", "5/hour")
# The newsletters' sign-up form: per address, and per e-mail address signed up.
NEWSLETTER_SIGNUP_RATE = env_rate("NEWSLETTER_SIGNUP_RATE", "10/hour")
NEWSLETTER_SIGNUP_EMAIL_RATE = env_rate("NEWSLETTER_SIGNUP_EMAIL_RATE", "3/day")
SPECTACULAR_SETTINGS = {
    "TITLE": "Principportalen API",
    "DESCRIPTION": (
        "Ankestyrelsens principafgørelser for kommunernes fagsystemer: afgørelser, love, paragraffer og "
        "områder, et ændringsfeed til en nøjagtig lokal kopi, og søgning. Alle svar er JSON med "
        "`ETag` og `Last-Modified`. Anonym læsning er begrænset; en API-nøgle fra portalens "
        "redaktion sendes som `Authorization: Bearer <nøgle>`."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [
        {"name": "decisions", "description": "Principle decisions, the change feed and search."},
        {"name": "taxonomy", "description": "Areas, laws and paragraphs, with decisions counted by status."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.schema.add_parameter_examples",
    ],
    # No deep links: Swagger UI puts each operation's link inside the button that opens it, a link
    # in a button, which keyboards and screen readers cannot use (axe: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "persistAuthorization": True, "tryItOutEnabled": True},
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "decisions.models.Status"},
}
# Cross-origin requests (a municipal web app calling the API from the browser): off unless origins
# are named.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/(api|feeds)/"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# Security. Every asset is ours, so the policy allows nothing from elsewhere and no inline code.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if HTTPS and not SECURE_HSTS_PRELOAD:
    # Preloading HSTS is for the owner of the whole domain to decide (it binds every subdomain, and
    # a subdomain such as portal.example.dk cannot be preloaded alone); not asking for it is a
    # choice, not an oversight, so Django's reminder (security.W021) is silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The language switch's cookie: the same protection as the others (no script reads it).
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Behind a TLS proxy (nginx, a load balancer), its headers are believed: the scheme, the host,
# and the client's address, which the limits read from the entry the TRUSTED_PROXIES-th proxy
# from us appended to X-Forwarded-For. Without it, only the connecting address counts.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1)
if TRUSTED_PROXIES < 1:
    raise ImproperlyConfigured("TRUSTED_PROXIES must be 1 or more: the proxies in front of the portal.")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# /healthz is polled over plain HTTP by load balancers and compose health checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
