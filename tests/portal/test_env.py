import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_rate, env_secret, parse_email_url, parse_rate
from tests.conftest import BASE_DIR


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("off", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG") is expected


def test_env_bool_refuses_anything_else_and_names_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG must be true or false.*'maybe'"):
        env_bool("DEBUG")


def test_env_bool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    assert env_bool("FLAG") is False


def test_env_int_refuses_a_non_number(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT must be a whole number"):
        env_int("EMAIL_PORT", 25)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " portal.example.dk, ,www.portal.example.dk ")
    assert env_list("ALLOWED_HOSTS") == ["portal.example.dk", "www.portal.example.dk"]


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-from-file\n")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret_file))
    assert env_secret("SECRET_KEY") == "s3cret-from-file"


def test_a_secret_file_that_cannot_be_read_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY_FILE=.*cannot be read"):
        env_secret("SECRET_KEY")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mailpit:1025", {"host": "mailpit", "port": 1025, "use_tls": False, "use_ssl": False}),
        (
            "smtp+tls://user%40kommune.dk:p%40ss@smtp.example.dk",
            {
                "host": "smtp.example.dk",
                "port": 587,
                "username": "user@kommune.dk",
                "password": "p@ss",
                "use_tls": True,
            },
        ),
        ("smtps://smtp.example.dk", {"port": 465, "use_ssl": True, "use_tls": False}),
        ("smtp://smtp.example.dk:2525?tls=1", {"port": 2525, "use_tls": True}),
    ],
)
def test_email_url_becomes_smtp_options(url, expected):
    options = parse_email_url(url)
    assert {key: options[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://smtp.example.dk", "must start with smtp://"),
        ("smtp://", "no host"),
        ("smtp://host:port", "port that is not a number"),
    ],
)
def test_a_bad_email_url_says_what_is_wrong(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_email_url(url)


def _start_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    script = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(tmp_path),
    }

    result = _start_settings(env)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "postgres").exists()  # it stopped before starting anything


def test_a_checkout_s_own_secret_key_is_used_when_none_is_set(tmp_path):
    """`make run` writes var/secret-key once; `python manage.py …` in the checkout uses it."""
    (tmp_path / "secret-key").write_text("k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2 + "\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_VAR_DIR": str(tmp_path),
        # Nothing to start: settings only name the servers.
        "DATABASE_URL": "postgres://portal@127.0.0.1:1/portal",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    script = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY[:4])"

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k3y-"


def test_a_bad_setting_stops_start_up_with_its_name(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "perhaps"}

    result = _start_settings(env)

    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("60/minute", (60, 60)), ("5000/hour", (5000, 3600)), ("10/s", (10, 1)), ("1/day", (1, 86400))],
)
def test_rates_are_requests_per_period(raw, expected):
    assert parse_rate(raw) == expected


@pytest.mark.parametrize("raw", ["many", "60", "60/fortnight", "/minute", "-1/minute"])
def test_a_bad_rate_stops_start_up_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("API_CLIENT_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match=r"API_CLIENT_RATE must be a number of requests"):
        env_rate("API_CLIENT_RATE", "20000/hour")
