import stat
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = StringIO()
    call_command("ensure_staff_login", stdout=out)
    return out.getvalue()


def test_a_fresh_database_gets_an_admin_whose_password_is_printed_and_kept_private(settings, tmp_path):
    settings.VAR_DIR = tmp_path

    output = _run()

    admin = get_user_model().objects.get(username="admin")
    password = (tmp_path / "admin-password.txt").read_text().strip()
    assert admin.is_superuser
    assert admin.check_password(password)
    assert password in output
    assert stat.S_IMODE((tmp_path / "admin-password.txt").stat().st_mode) == 0o600


def test_a_second_run_keeps_the_same_login_and_repeats_how_to_sign_in(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _run()
    password = (tmp_path / "admin-password.txt").read_text().strip()

    output = _run()

    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert f"Sign in as 'admin' with password {password}" in output


def test_an_existing_superuser_is_named_and_no_new_one_is_made(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    get_user_model().objects.create_superuser("jurist", "jurist@ast.dk", "a-long-password-1")

    output = _run()

    assert "jurist" in output
    assert not get_user_model().objects.filter(username="admin").exists()
    assert not (tmp_path / "admin-password.txt").exists()
