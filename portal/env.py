"""Typed readers for settings from the environment. A bad value stops start-up with a clear message."""

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`5000/hour` → (5000, 3600): requests per second, minute, hour or day. ValueError if not."""
    number, _slash, period = rate.strip().partition("/")
    if (
        not re.fullmatch(r"[0-9]{1,12}", number.strip())
        or not period.strip()
        or period.strip()[0] not in PERIODS
    ):
        raise ValueError("a number of requests per second, minute, hour or day, e.g. 5000/hour")
    return int(number), PERIODS[period.strip()[0]]


def env_rate(name: str, default: str) -> str:
    """A rate limit such as `60/minute`."""
    raw = os.environ.get(name, default).strip()
    try:
        parse_rate(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be {error}, not {raw!r}.") from None
    return raw


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and systemd secrets)."""
    value = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
    if value and path:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {error}.") from None
    return value


def parse_email_url(url: str) -> dict[str, object]:
    """SMTP mailer options from `smtp://user:password@host:port` (`smtp+tls://` for STARTTLS,
    `smtps://` for implicit TLS)."""
    parts = urlsplit(url)
    schemes = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True)}
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with smtp://, smtp+tls:// or smtps://, not {parts.scheme!r}."
        )
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL has no host name.")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number.") from None
    use_tls, use_ssl = schemes[parts.scheme]
    query = parse_qs(parts.query)
    if query.get("tls", [""])[0].lower() in _TRUE:
        use_tls = True
    return {
        "host": parts.hostname,
        "port": port or (465 if use_ssl else 587 if use_tls else 25),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": use_tls,
        "use_ssl": use_ssl,
    }
