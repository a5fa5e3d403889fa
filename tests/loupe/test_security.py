"""Response headers, pages without inline code, login rate limits, tokens, production settings
and the OpenAPI description."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import get_resolver
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token

from tests.conftest import client_for
from tests.projects.factories import PASSWORD, items_add

pytestmark = pytest.mark.django_db

# A window no test run straddles: the fixed window is time // seconds.
NO_WINDOW_BOUNDARY = 10**9


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        directives[name] = values
    return directives


def assert_secure_headers(response) -> None:
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event handlers, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline event handler)")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            if attributes.get("src"):
                self.scripts.append(attributes["src"] or "")
            # JSON data blocks (json_script) are data, not code, and CSP lets them be.
            self._inline_script = not attributes.get("src") and attributes.get("type") != (
                "application/json"
            )
        if tag == "link" and attributes.get("rel") in ("stylesheet", "icon"):
            self.stylesheets.append(attributes.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_script = False

    def handle_data(self, data: str) -> None:
        if self._inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:80]!r}")


def parsed(response) -> InlineCode:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def session_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def pages(project) -> list[str]:
    (item,) = items_add(project)
    return [
        "/",
        "/projects/new/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/label/",
        f"/items/{item.pk}/label/",
        "/api/docs/",
    ]


# --- headers and inline code ----------------------------------------------------------------


def test_every_page_carries_the_security_headers_and_no_inline_code(session_client, pages):
    for url in pages:
        response = session_client.get(url)

        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html"), url
        assert_secure_headers(response)
        assert parsed(response).problems == [], url


def test_the_login_page_carries_the_security_headers_and_no_inline_code(db):
    response = Client().get("/login/")

    assert response.status_code == 200
    assert_secure_headers(response)
    assert parsed(response).problems == []


def test_api_responses_carry_the_security_headers(project, manager, annotator):
    (item,) = items_add(project)
    client = client_for(manager)
    responses = [
        client.get("/api/v1/projects/"),
        client.get(f"/api/v1/items/{item.pk}/"),
        client.get(f"/api/v1/items/{item.pk}/image/"),
        client.get(f"/api/v1/items/{item.pk}/thumbnail/"),
        client.get("/api/v1/projects/987654/"),
        client.post("/api/v1/projects/", {"labels": "x"}, format="json"),
        client_for(annotator).patch(f"/api/v1/projects/{project.pk}/", {}, format="json"),
        client_for(None).get("/api/v1/projects/"),
        client.get("/api/schema/"),
        Client().get("/healthz/"),
    ]

    assert [response.status_code for response in responses] == [
        200, 200, 200, 200, 404, 400, 403, 401, 200, 200
    ]  # fmt: skip
    for response in responses:
        assert_secure_headers(response)


def test_api_docs_assets_load_from_the_same_origin(db):
    client = Client()
    response = client.get("/api/docs/")

    page = parsed(response)
    assets = page.scripts + page.stylesheets
    assert len(page.scripts) == 3
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        # Static files skip the X-Frame-Options middleware; it means nothing for scripts anyway.
        assert asset["X-Content-Type-Options"] == "nosniff"
        assert policy(asset)["script-src"] == ["'self'"]
        if asset.streaming:
            b"".join(asset.streaming_content)  # drained, so the test client closes the file


# --- the OpenAPI description ----------------------------------------------------------------


def v1_paths() -> set[str]:
    (v1,) = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/"]
    paths = set()
    for pattern in v1.url_patterns:
        # <int:item_id>, <str:version_id>, <name> -> {item_id}, {version_id}, {name}
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        paths.add(f"/api/v1/{route}")
    return paths


def test_the_schema_is_valid_openapi_3_listing_every_v1_path(db):
    response = Client().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {path for path in schema["paths"] if path.startswith("/api/v1/")} == v1_paths()
    assert set(schema["paths"]["/api/v1/items/{item_id}/annotation/"]) == {"get", "put", "patch"}


# --- logging in and rate limits -------------------------------------------------------------


def test_the_token_endpoint_returns_the_users_token(annotator):
    response = client_for(None).post(
        "/api/v1/auth/token/", {"username": "bob_annotator", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=annotator).key}
    ping = client_for(None)
    ping.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert ping.get("/api/v1/ping/").json() == {"user": "bob_annotator"}


@pytest.mark.parametrize(
    ("username", "password"),
    [("bob_annotator", "wrong"), ("nobody", PASSWORD), ("BOB_ANNOTATOR", PASSWORD)],
)
def test_the_token_endpoint_refuses_bad_credentials_with_401(annotator, username, password):
    response = client_for(None).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong username or password."}
    assert not Token.objects.exists()


def test_an_inactive_user_gets_no_token(annotator):
    annotator.is_active = False
    annotator.save()

    response = client_for(None).post(
        "/api/v1/auth/token/", {"username": "bob_annotator", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert not Token.objects.exists()


def test_the_eleventh_token_attempt_in_a_window_is_throttled(annotator, settings):
    settings.LOGIN_RATE_LIMIT = 10
    settings.LOGIN_RATE_WINDOW_SECONDS = NO_WINDOW_BOUNDARY
    client = client_for(None)
    wrong = {"username": "bob_annotator", "password": "wrong"}

    codes = [
        client.post("/api/v1/auth/token/", wrong, format="json").status_code for _ in range(10)
    ]
    eleventh = client.post(
        "/api/v1/auth/token/", {"username": "bob_annotator", "password": PASSWORD}, format="json"
    )

    assert codes == [401] * 10
    assert eleventh.status_code == 429
    assert 0 < int(eleventh["Retry-After"]) <= NO_WINDOW_BOUNDARY
    assert eleventh.json()["detail"].startswith("Too many attempts; try again later.")
    assert not Token.objects.exists()


def test_the_eleventh_login_in_a_window_is_throttled_even_with_the_right_password(
    annotator, settings
):
    settings.LOGIN_RATE_LIMIT = 10
    settings.LOGIN_RATE_WINDOW_SECONDS = NO_WINDOW_BOUNDARY
    client = Client()

    codes = [
        client.post("/login/", {"username": "bob_annotator", "password": "wrong"}).status_code
        for _ in range(10)
    ]
    eleventh = client.post("/login/", {"username": "bob_annotator", "password": PASSWORD})

    assert codes == [200] * 10  # the form again, with its error
    assert eleventh.status_code == 429
    assert 0 < int(eleventh["Retry-After"]) <= NO_WINDOW_BOUNDARY
    assert b'data-testid="login-throttled"' in eleventh.content
    assert "_auth_user_id" not in client.session
    assert_secure_headers(eleventh)


def test_login_attempts_count_per_username_across_addresses(annotator, settings):
    settings.LOGIN_RATE_LIMIT = 3
    settings.LOGIN_RATE_WINDOW_SECONDS = NO_WINDOW_BOUNDARY
    client = Client()
    wrong = {"username": "bob_annotator", "password": "wrong"}

    codes = [client.post("/login/", wrong, REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(4)]

    assert codes == [200, 200, 200, 429]


def test_login_attempts_count_per_address_across_usernames(annotator, settings):
    settings.LOGIN_RATE_LIMIT = 3
    settings.LOGIN_RATE_WINDOW_SECONDS = NO_WINDOW_BOUNDARY
    client = Client()

    codes = [
        client.post("/login/", {"username": f"guess{n}", "password": "x"}).status_code
        for n in range(4)
    ]

    assert codes == [200, 200, 200, 429]


def test_a_good_login_within_the_limit_logs_in(annotator, settings):
    settings.LOGIN_RATE_LIMIT = 10
    settings.LOGIN_RATE_WINDOW_SECONDS = NO_WINDOW_BOUNDARY
    client = Client()

    response = client.post("/login/", {"username": "bob_annotator", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(annotator.pk)


# --- production settings refuse to start unsafe ---------------------------------------------


def start_django(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter, as `manage.py` or gunicorn would."""
    base = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "ALLOWED_HOSTS", "LOUPE_ENV", "DATABASE_URL", "S3_BUCKET"}
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "loupe.settings",
            "LOUPE_DATA_DIR": str(tmp_path),
            **env,
        },
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION_DB = "postgres://loupe@127.0.0.1:1/loupe"  # never connected to: settings only


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {},
            "Refusing to start in production mode with the default or a short SECRET_KEY: "
            "set SECRET_KEY to 32+ random characters.",
        ),
        (
            {"SECRET_KEY": "too-short"},
            "Refusing to start in production mode with the default or a short SECRET_KEY: "
            "set SECRET_KEY to 32+ random characters.",
        ),
        (
            {"SECRET_KEY": "loupe-insecure-development-key-change-me"},
            "Refusing to start in production mode with the default or a short SECRET_KEY: "
            "set SECRET_KEY to 32+ random characters.",
        ),
        (
            {"SECRET_KEY": "k" * 40, "ALLOWED_HOSTS": ""},
            "Refusing to start in production mode with empty ALLOWED_HOSTS.",
        ),
        (
            {"SECRET_KEY": "k" * 40, "ALLOWED_HOSTS": " , "},
            "Refusing to start in production mode with empty ALLOWED_HOSTS.",
        ),
    ],
    ids=["no-key", "short-key", "default-key", "no-hosts", "blank-hosts"],
)
def test_production_settings_refuse_unsafe_configuration(tmp_path, env, message):
    result = start_django(tmp_path, DATABASE_URL=PRODUCTION_DB, **env)

    assert result.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_production_settings_start_with_a_real_key_and_hosts(tmp_path):
    result = start_django(
        tmp_path, DATABASE_URL=PRODUCTION_DB, SECRET_KEY="k" * 40, ALLOWED_HOSTS="loupe.example"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k" * 40


def test_the_embedded_default_makes_one_private_random_key_per_install(tmp_path):
    first = start_django(tmp_path)
    second = start_django(tmp_path)

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert second.stdout.strip() == key
    assert len(key) >= 50
    assert key != "loupe-insecure-development-key-change-me"
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
