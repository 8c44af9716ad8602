import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Creates a superuser 'admin' with a generated password when no active superuser exists."

    def handle(self, *args, **options) -> None:
        password_file = settings.VAR_DIR / "admin-password.txt"
        User = get_user_model()
        existing = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if existing is None:
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", email="admin@localhost", password=password)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.touch(mode=0o600)
            password_file.write_text(password + "\n")
            self.stdout.write(f"Created the staff login 'admin' with password {password}")
            self.stdout.write(f"(the password is also in {password_file})")
        elif existing.username == "admin" and password_file.exists():
            password = password_file.read_text().strip()
            self.stdout.write(f"Sign in as 'admin' with password {password} (from {password_file})")
        else:
            self.stdout.write(f"Sign in with the staff login '{existing.get_username()}'.")
