"""What a municipal mirror and an export see of the portal: `python -m tests.portal.snapshot`
prints it as JSON, for comparing two databases (tests/portal/test_backup.py)."""

import json
import os
import sys


def snapshot() -> dict:
    from django.test import Client

    from decisions.importing import export_lines

    client = Client()

    def pages(url: str) -> list:
        found = []
        while url:
            body = client.get(url).json()
            found.append(body)
            url = body.get("next")
            if url and not body.get("has_more", True):
                break
            url = url and url.removeprefix("http://testserver")
        return found

    return {
        "decisions": pages("/api/v1/decisions/?page_size=500"),
        "changes": pages("/api/v1/changes/?page_size=500"),
        "laws": pages("/api/v1/laws/?page_size=500"),
        "paragraphs": pages("/api/v1/paragraphs/?page_size=500"),
        "areas": pages("/api/v1/areas/"),
        "export": list(export_lines()),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.API_ANONYMOUS_RATE = "1000000/minute"
    json.dump(snapshot(), sys.stdout, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":
    main()
