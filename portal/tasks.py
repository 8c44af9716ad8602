import socket

from celery import shared_task
from django.db import connection


@shared_task
def ping() -> dict[str, str]:
    """Answers from inside a worker: which host ran it and whether it reached the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    return {"pong": "pong", "hostname": socket.gethostname(), "database": database}
