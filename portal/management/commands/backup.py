from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backups import BackupError, backup, default_directory


class Command(BaseCommand):
    help = (
        "Writes a backup of the portal's database (pg_dump's custom format) to "
        "$PORTAL_VAR_DIR/backups/portal-<UTC time>.dump. Restore it with `manage.py restore`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output-dir", type=Path, help=f"where to write it (default {default_directory()})"
        )

    def handle(self, *args, output_dir: Path | None, **options) -> None:
        try:
            done = backup(output_dir)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backup written: {done.path} ({done.size / 1e6:.1f} MB in {done.seconds:.1f} s)")
