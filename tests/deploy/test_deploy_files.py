"""Docker has no engine on our machines, so the deployment files are checked by reading them."""

import importlib
import re
import shlex

import yaml

from tests.conftest import BASE_DIR

COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()


def _command(service: str) -> list[str]:
    command = COMPOSE["services"][service].get("command")
    if command is None:
        return []
    words = shlex.split(command) if isinstance(command, str) else command
    if words[:2] == ["sh", "-c"]:
        words = shlex.split(words[2])
    return words


def _dockerfile_cmd() -> list[str]:
    line = next(line for line in DOCKERFILE.splitlines() if line.startswith("CMD "))
    return yaml.safe_load(line.removeprefix("CMD "))


def test_compose_runs_the_services_users_expect_from_one_image():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat", "mailpit"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "."
        assert services[name]["image"] == "principportalen:latest"
        assert services[name]["env_file"] == ".env"


def _assert_wsgi_target_exists(words: list[str]) -> None:
    target = next(word for word in words if re.fullmatch(r"[a-z_][\w.]*:[a-z_]\w*", word))
    module, attribute = target.split(":")
    assert hasattr(importlib.import_module(module), attribute), target


def test_web_runs_gunicorn_on_our_wsgi_application_after_migrating():
    words = _command("web")
    assert words[:4] == ["python", "manage.py", "migrate", "--noinput"]
    assert "gunicorn" in words
    _assert_wsgi_target_exists(words[words.index("gunicorn") :])
    assert _dockerfile_cmd()[0] == "gunicorn"
    _assert_wsgi_target_exists(_dockerfile_cmd())


def test_worker_and_beat_run_our_celery_app():
    for service, mode in (("worker", "worker"), ("beat", "beat")):
        words = _command(service)
        assert words[0] == "celery"
        app_module = words[words.index("-A") + 1]
        assert mode in words
        assert importlib.import_module(app_module).celery_app.main == "portal"


def test_the_image_uses_our_settings_module_and_our_requirements():
    match = re.search(r"DJANGO_SETTINGS_MODULE=([\w.]+)", DOCKERFILE)
    assert match
    assert (BASE_DIR / (match.group(1).replace(".", "/") + ".py")).exists()
    assert "pip install -r requirements.txt" in DOCKERFILE
    assert "collectstatic" in DOCKERFILE


def _settings_read_from_environment() -> set[str]:
    source = (BASE_DIR / "portal" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list|rate|secret)\("([A-Z_]+)"', source))
    secrets = set(re.findall(r'env_secret\("([A-Z_]+)"', source))
    return names | {f"{name}_FILE" for name in secrets}


def test_env_example_lists_every_setting_and_nothing_else():
    listed = set(re.findall(r"^#?\s?([A-Z][A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.MULTILINE))
    assert listed == _settings_read_from_environment()
