"""A thin client of Loupe's REST API (v1): JSON in and out, errors turned into LoupeErrors.

One httpx.Client is shared by the download threads (httpx.Client is thread-safe). Redirects are
followed for downloads (a signed S3 URL); httpx drops the Authorization header when a redirect
leaves the server's origin, so the token never reaches the bucket.
"""

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from loupe_client.errors import AuthError, IntegrityError, LoupeError, NetworkError, NotFound

VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 16
JOB_DONE = ("succeeded", "failed")


class Api:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        from loupe_client import __version__

        self.url = url.rstrip("/")
        headers = {"User-Agent": f"loupe-client/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        self.http = httpx.Client(
            base_url=self.url,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=True,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Api":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise NetworkError(
                f"Cannot reach {self.url}: {error or type(error).__name__}."
            ) from None
        self._raise_for(response)
        return response

    def _raise_for(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        if response.is_stream_consumed is False:
            response.read()
        detail = _detail(response)
        code = response.status_code
        if code == 401:
            raise AuthError(
                f"{self.url} refused the credentials ({detail}). "
                f"Run `loupe login {self.url}` again."
            )
        if code == 403:
            raise AuthError(f"Not allowed: {detail}")
        if code == 404:
            raise NotFound(f"Not found: {detail}")
        if code == 400:
            raise LoupeError(f"The server refused the request: {detail}")
        if code == 429:
            wait = response.headers.get("Retry-After", "a while")
            raise LoupeError(f"Rate limited by the server ({detail}); retry in {wait} s.")
        raise LoupeError(
            f"{response.request.method} {response.request.url.path} -> {code}: {detail}"
        )

    def get_json(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None).json()

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated list, following `next`."""
        page: Any = self.get_json(path, **params)
        while True:
            yield page
            if not page.get("next"):
                return
            page = self.request("GET", page["next"]).json()

    # --- operations -----------------------------------------------------------------------

    def token(self, username: str, password: str) -> str:
        response = self.request(
            "POST", "/api/v1/auth/token/", json={"username": username, "password": password}
        )
        return str(response.json()["token"])

    def project(self, reference: str) -> dict[str, Any]:
        """A project by id, or by its exact name."""
        if reference.isdigit():
            project: dict[str, Any] = self.get_json(f"/api/v1/projects/{reference}/")
            return project
        for page in self.pages("/api/v1/projects/"):
            for project in page["results"]:
                if project.get("name") == reference:
                    return project
        raise NotFound(f"No project named {reference!r} is visible to you.")

    def versions(self, project_id: int) -> list[dict[str, Any]]:
        path = f"/api/v1/projects/{project_id}/versions/"
        return [version for page in self.pages(path) for version in page["results"]]

    def version(self, version_id: str) -> dict[str, Any]:
        version: dict[str, Any] = self.get_json(f"/api/v1/versions/{version_id}/")
        return version

    def resolve_version(self, project_id: int | None, reference: str) -> dict[str, Any]:
        """A version by full id, or (within a project) by tag or by a unique id prefix."""
        reference = reference.strip()
        if VERSION_ID.match(reference):
            version = self.version(reference)
            if project_id is not None and version["project"] != project_id:
                raise NotFound(f"Version {reference[:12]} belongs to project {version['project']}.")
            return version
        if project_id is None:
            raise LoupeError(
                f"{reference!r} is not a full version id: name the project (--project) to use "
                "a tag or a short id."
            )
        versions = self.versions(project_id)
        tagged = [version for version in versions if reference in version.get("tags", [])]
        if tagged:
            return tagged[0]
        matches = [version for version in versions if version["id"].startswith(reference.lower())]
        if len(matches) == 1 and len(reference) >= 4:
            return matches[0]
        if len(matches) > 1:
            raise LoupeError(f"{reference!r} matches {len(matches)} versions: give more of the id.")
        raise NotFound(f"Project {project_id} has no version or tag {reference!r}.")

    def diff(self, new: str, against: str) -> dict[str, Any]:
        """The whole diff (every page): rows, summary per class and totals."""
        rows: list[dict[str, Any]] = []
        first: dict[str, Any] = {}
        for page in self.pages(f"/api/v1/versions/{new}/diff/", against=against, page_size=1000):
            first = first or page
            rows.extend(page["results"])
        return {
            "rows": rows,
            "summary": first.get("summary", {}),
            "totals": first.get("totals", {}),
        }

    def index(
        self, version_id: str, *, splits: Sequence[str] = (), classes: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """The version's items the server keeps for these splits and classes, by item id: name,
        file name, asset hash, size, split and image URL."""
        path = f"/api/v1/versions/{version_id}/index/"
        params = {"split": list(splits), "class": list(classes), "page_size": 1000}
        return [row for page in self.pages(path, **params) for row in page["results"]]

    def export(
        self,
        version_id: str,
        format_name: str,
        *,
        splits: Sequence[str] = (),
        classes: Sequence[str] = (),
        poll_seconds: float = 0.5,
        timeout: float = 3600.0,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Ask for an export and wait for its job: the result names the file and its sha256.

        The server stores one export per (version, format), so asking again is cheap. With
        splits or classes it exports only those items and classes' shapes."""
        body: dict[str, Any] = {"format": format_name}
        if splits or classes:
            body.update(splits=list(splits), classes=list(classes))
        job = self.request("POST", f"/api/v1/versions/{version_id}/exports/", json=body).json()
        deadline = time.monotonic() + timeout
        while job["status"] not in JOB_DONE:
            if time.monotonic() > deadline:
                raise LoupeError(f"Export job {job['id']} is still {job['status']}; try later.")
            time.sleep(poll_seconds)
            job = self.get_json(f"/api/v1/jobs/{job['id']}/")
            if on_progress and job.get("progress"):
                on_progress(job["progress"]["done"], job["progress"]["total"])
        if job["status"] == "failed":
            raise LoupeError(f"The server's {format_name} export failed: {job['error']}")
        result: dict[str, Any] = job["result"]
        result.setdefault("download", f"/api/v1/jobs/{job['id']}/download/")
        return result

    def download(self, path: str, destination: Path, *, sha256: str) -> int:
        """Stream `path` into `<destination>.part`, check its SHA-256, then rename it into place.

        A file whose bytes do not match is deleted, never kept. Returns the bytes written."""
        partial = destination.with_name(destination.name + ".part")
        destination.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with self.http.stream("GET", path) as response:
                self._raise_for(response)
                with open(partial, "wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
        except httpx.HTTPError as error:
            partial.unlink(missing_ok=True)
            raise NetworkError(
                f"Downloading {path} from {self.url} failed: {error or type(error).__name__}."
            ) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if digest.hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            raise IntegrityError(
                f"Refused {destination.name}: its bytes hash to {digest.hexdigest()[:12]}, "
                f"not {sha256[:12]}."
            )
        os.replace(partial, destination)
        return size


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or f"HTTP {response.status_code}"
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return str(body)[:300]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
