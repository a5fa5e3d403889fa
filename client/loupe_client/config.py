"""Where credentials live: ~/.config/loupe/credentials.json, readable by its owner only.

LOUPE_CONFIG_DIR moves the directory (tests use it); LOUPE_URL and LOUPE_TOKEN override the
stored server and token, for CI jobs that keep the token in a secret rather than a file.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loupe_client.errors import LoupeError, NotLoggedIn

FILE_NAME = "credentials.json"


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str
    username: str = ""


def config_dir() -> Path:
    configured = os.environ.get("LOUPE_CONFIG_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "loupe"


def credentials_path() -> Path:
    return config_dir() / FILE_NAME


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise LoupeError(f"Expected a server URL starting with http:// or https://, not {url!r}.")
    return url


def _stored() -> dict[str, Any]:
    path = credentials_path()
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"default": None, "servers": {}}
    except (OSError, ValueError) as error:
        raise LoupeError(f"Cannot read {path}: {error}. Run `loupe login URL` again.") from None
    if not isinstance(stored, dict) or not isinstance(stored.get("servers"), dict):
        raise LoupeError(f"{path} is not a Loupe credentials file. Run `loupe login URL` again.")
    return stored


def credentials_save(credentials: Credentials) -> Path:
    """Store the token and make its server the default, atomically and never world-readable."""
    stored = _stored()
    stored["servers"][credentials.url] = {
        "token": credentials.token,
        "username": credentials.username,
    }
    stored["default"] = credentials.url
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f"{FILE_NAME}.part")
    # Created 0600 from the start: a chmod after writing would leave a window with the token
    # readable by others.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(stored, out, indent=2, sort_keys=True)
        out.write("\n")
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return path


def credentials_load(url: str | None = None) -> Credentials:
    """The token for `url` (or for LOUPE_URL, or the last server logged in to)."""
    url = url or os.environ.get("LOUPE_URL") or None
    token = os.environ.get("LOUPE_TOKEN")
    if url and token:
        return Credentials(url=normalize_url(url), token=token)
    stored = _stored()
    url = normalize_url(url) if url else stored.get("default")
    if not url:
        raise NotLoggedIn("Not logged in: run `loupe login URL` first.")
    if token:
        return Credentials(url=url, token=token)
    entry = stored["servers"].get(url)
    if not isinstance(entry, dict) or not entry.get("token"):
        raise NotLoggedIn(f"Not logged in to {url}: run `loupe login {url}` first.")
    return Credentials(url=url, token=str(entry["token"]), username=str(entry.get("username", "")))
