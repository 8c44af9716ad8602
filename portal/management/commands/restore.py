from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restores a backup made by `manage.py backup` into the portal's database, in one "
        "transaction. Refuses a database that has tables unless --force is given (then everything "
        "in it is replaced), and refuses while the portal is running."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="a .dump file from `manage.py backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace everything in a database that is not empty"
        )

    def handle(self, *args, file: Path, force: bool, **options) -> None:
        try:
            done = restore(file, replace=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored {file}: {done.tables} tables in {done.seconds:.1f} s.")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            self.stdout.write(
                f"The backup is from an earlier release: {len(pending)} migration(s) to apply with "
                "`manage.py migrate` (`make run` does it)."
            )
