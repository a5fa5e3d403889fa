"""The studio page names every module it will import, so the browser fetches them at once."""

import posixpath
import re

import pytest
from django.test import Client

from tests.projects.factories import items_add

pytestmark = pytest.mark.django_db

PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)">')
STATIC_IMPORT = re.compile(r"""(?:import|export)\s[^;'"]*?from\s*'(\.[^']+\.js)'""")


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def test_the_studio_page_preloads_every_module_the_studio_imports(project, manager):
    (item,) = items_add(project)
    client = Client()
    client.force_login(manager)

    preloaded = PRELOAD.findall(body_of(client.get(f"/items/{item.pk}/label/")))

    assert "/static/loupe/studio/main.js" in preloaded
    assert {"/static/loupe/studio/tools/select.js", "/static/loupe/studio/shapes/index.js"} <= set(
        preloaded
    )
    assert len(preloaded) == len(set(preloaded)) > 30
    # The set is closed: each preloaded module is served as a script, and whatever it imports
    # statically is preloaded too.
    for url in preloaded:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "javascript" in response["Content-Type"], url
        for target in STATIC_IMPORT.findall(body_of(response)):
            if target.endswith(".js"):
                imported = posixpath.normpath(posixpath.join(posixpath.dirname(url), target))
                assert imported in preloaded, (url, target)
