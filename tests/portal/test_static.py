import re

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_static_files_are_served_by_us_compressed_and_with_hashed_names(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    html = client.get("/").content.decode()
    stylesheet = re.search(r'href="(/static/portal/css/portal\.[0-9a-f]{12}\.css)"', html)
    assert stylesheet, "the stylesheet link has no content hash"
    assert not re.search(r'(src|href)="(https?:)?//', html), "the page loads something from elsewhere"

    response = client.get(stylesheet.group(1), headers={"accept-encoding": "br, gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert "immutable" in response["Cache-Control"]
    assert list((tmp_path / "portal" / "css").glob("portal.*.css.gz"))
