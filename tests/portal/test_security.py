import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_forbids_foreign_and_inline_code(client):
    response = client.get("/")

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_pages_cannot_be_framed_or_sniffed(client):
    response = client.get("/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.fixture
def https_on(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def test_with_https_on_plain_http_is_redirected(client, https_on):
    response = client.get("/hotline/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/hotline/"


def test_with_https_on_pages_send_hsts_and_secure_cookies(client, https_on):
    response = client.get("/", secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies["csrftoken"]["secure"] is True


def test_health_checks_over_plain_http_are_not_redirected(client, https_on):
    assert client.get("/healthz").status_code in (200, 503)


def test_production_defaults_turn_https_protections_on():
    # The suite runs with HTTPS=false; the module's defaults are checked by reading them anew.
    import os
    import subprocess
    import sys

    from tests.conftest import BASE_DIR, service_env

    env = service_env()
    env.pop("HTTPS")
    env.pop("DEBUG", None)
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS)"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    ).stdout

    assert output.split() == ["False", "True", "True", "True", "31536000"]
    assert os.environ["HTTPS"] == "false"


def _settings_process(**env: str) -> subprocess.CompletedProcess:
    """A fresh process reading the settings from `env` (the suite's own are fixed at start)."""
    from tests.conftest import BASE_DIR, service_env

    environment = {**service_env(), **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
    )


PRODUCTION = {
    "DEBUG": "false",
    "HTTPS": "true",
    "ALLOWED_HOSTS": "portal.example.dk",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.dk",
    "SITE_URL": "https://portal.example.dk",
    "SECRET_KEY": "Zq3" + "x7-Yk9_Lm2" * 6,
}


def test_the_documented_production_settings_pass_the_deployment_checks_at_warning_level():
    done = _settings_process(**PRODUCTION)

    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    "key",
    [
        "short-but-random-8fK2",
        "django-insecure-" + "k3J9-x_Qa" * 6,
        "ab" * 40,  # long, but only two different characters
    ],
)
def test_a_weak_secret_key_is_refused_at_start_in_production(key):
    done = _settings_process(**{**PRODUCTION, "SECRET_KEY": key})

    assert done.returncode != 0
    assert "SECRET_KEY is too weak for production" in done.stderr


def test_a_weak_secret_key_is_accepted_in_development():
    done = _settings_process(DEBUG="true", SECRET_KEY="dev")

    assert "too weak" not in done.stderr


def test_with_https_on_the_language_cookie_is_secure_httponly_and_same_site(client, settings, https_on):
    settings.LANGUAGE_COOKIE_SECURE = True

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_defaults_make_the_language_cookie_secure():
    from tests.conftest import BASE_DIR, service_env

    env = service_env()
    env.pop("HTTPS")
    env.pop("DEBUG", None)
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SAMESITE)"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    ).stdout

    assert output.split() == ["True", "True", "Lax"]
