import pytest
from django.conf import settings
from django.db import transaction

from portal.celery import app
from portal.tasks import ping


@pytest.mark.django_db
def test_a_task_runs_in_a_real_worker_on_redis_and_returns_its_result(celery_worker):
    result = ping.delay()

    answer = result.get(timeout=30)

    assert answer["pong"] == "pong"
    assert answer["database"] == settings.DATABASES["default"]["NAME"]  # the worker read our test database
    assert result.successful()


@pytest.mark.django_db
def test_a_task_queued_inside_a_transaction_is_sent_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        ping.delay_on_commit()
    assert len(callbacks) == 1  # held back for the commit, not sent straight away


def test_celery_speaks_json_only_and_never_loses_a_task_to_a_dying_worker():
    conf = app.conf
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.broker_url == settings.REDIS_URL
