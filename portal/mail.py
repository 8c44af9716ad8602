"""Mail without an SMTP server: one .eml file per message, ready to open in any mail program."""

import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, file_path: str | Path, **kwargs) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path)

    def send_messages(self, email_messages) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            # Write under a temporary name first so a reader never sees half a message.
            partial = path.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes())
            partial.rename(path)
            sent += 1
        return sent
