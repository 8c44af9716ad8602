import logging
import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("portal.health")


class Heartbeat(bootsteps.StartStopStep):
    """Writes the worker's heartbeat to Redis every HEARTBEAT_EVERY seconds from the worker's own
    timer, so that /healthz knows the worker is alive without pinging it (portal/health.py). A
    worker whose event loop stalls stops beating."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_entry = None

    def start(self, worker) -> None:
        from portal import health

        self._beat(worker.hostname)
        self.timer_entry = worker.timer.call_repeatedly(
            health.HEARTBEAT_EVERY, self._beat, (worker.hostname,), priority=10
        )

    def stop(self, worker) -> None:
        from portal import health

        if self.timer_entry is not None:
            self.timer_entry.cancel()
        try:
            health.forget(worker.hostname)
        except Exception as error:  # Redis may be gone already; the heartbeat then goes stale
            logger.warning("Could not remove the heartbeat of %s: %s", worker.hostname, error)

    @staticmethod
    def _beat(hostname: str) -> None:
        from portal import health

        try:
            health.beat(hostname)
        except Exception as error:  # Redis down: /healthz says so; the worker keeps running
            logger.warning("Heartbeat of %s not written: %s", hostname, error)


app.steps["worker"].add(Heartbeat)
