"""`loupe pull`: a dataset version onto disk, verified file by file, resumable, pinned by a lock.

DIR/images/<sha256>.<ext>   every image, named by its content hash (YOLO: images/<split>/...)
DIR/labels/...              the labels in the chosen format (see labels.py), data.yaml for YOLO
DIR/loupe.lock              what was pulled: server, project, version, format, filters, the
                            exports' sha256 and every file's (sha256, path), with their hash
DIR/.loupe/                 the client's own: cached exports and staging

The server cuts the version by split and class: its item index (item id, file name, sha256,
split and image URL of each kept item) says which images to fetch, and the export in the chosen
format holds only those items and classes. An image already on disk whose bytes hash right is
kept; anything else is fetched into `<name>.part`, hashed while it streams, and renamed into
place only when the hash matches, so an interrupted pull resumes where it stopped and no
corrupted file is ever kept.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, pulls are not guarded
    fcntl = None  # type: ignore[assignment]

from loupe_client.api import Api, file_sha256
from loupe_client.errors import IntegrityError, LoupeError, NetworkError
from loupe_client.labels import FORMATS, label_paths, write_labels

LOCK_NAME = "loupe.lock"
STATE_DIR = ".loupe"
LOCK_FORMAT = 2  # 1: the index was the JSONL export (client-side filters)
SPLITS = ("train", "val", "test", "unassigned")
IMAGE_NAME = re.compile(r"^[0-9a-f]{64}\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class Filters:
    splits: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        return {"classes": sorted(set(self.classes)), "splits": sorted(set(self.splits))}


@dataclass
class PullResult:
    version: str
    directory: Path
    images: int = 0
    downloaded: int = 0
    refused: int = 0
    removed: int = 0
    lock: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexItem:
    item_id: int
    file_name: str
    sha256: str
    split: str
    url: str


@dataclass(frozen=True)
class Image:
    sha256: str
    path: str  # relative to the pull directory, POSIX separators
    url: str


def pull(
    api: Api,
    *,
    project: str,
    version: str,
    format_name: str,
    directory: Path,
    filters: Filters = Filters(),
    jobs: int = 8,
    retries: int = 2,
    progress: bool | None = None,
    locked: dict[str, Any] | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> PullResult:
    """Pull `version` of `project` into `directory`; with `locked`, reproduce that lock exactly.

    `progress=None` shows bars only on a terminal."""
    if format_name not in FORMATS:
        raise LoupeError(f"Unknown format {format_name!r}; use one of: {', '.join(FORMATS)}.")
    _check_splits(filters.splits)
    project_row = api.project(project)
    version_row = api.resolve_version(project_row["id"], version)
    version_id = version_row["id"]
    say(f"Pulling version {version_id[:12]} of project {project_row['id']} as {format_name}.")
    state = directory / STATE_DIR
    (state / "exports").mkdir(parents=True, exist_ok=True)
    with _only_pull(state):
        return _pull_into(
            api,
            project_id=project_row["id"],
            version_id=version_id,
            format_name=format_name,
            directory=directory,
            filters=filters,
            jobs=jobs,
            retries=retries,
            progress=progress,
            locked=locked,
        )


@contextlib.contextmanager
def _only_pull(state: Path) -> Iterator[None]:
    """One pull at a time per directory: two would prune each other's images."""
    with open(state / "pull.lock", "a+b") as held:
        if fcntl is not None:
            try:
                fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LoupeError(
                    f"Another loupe pull is writing {state.parent}; wait for it to finish."
                ) from None
        yield


def _pull_into(
    api: Api,
    *,
    project_id: int,
    version_id: str,
    format_name: str,
    directory: Path,
    filters: Filters,
    jobs: int,
    retries: int,
    progress: bool | None,
    locked: dict[str, Any] | None,
) -> PullResult:
    state = directory / STATE_DIR
    index = fetch_index(api, version_id, filters)
    index_sha256 = index_digest(index)
    export_result, export_path = fetch_export(
        api, version_id, format_name, state / "exports", filters
    )
    if locked is not None:
        _check_exports(locked, index_sha256, export_result["sha256"])

    staging = state / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    write_labels(format_name, export_path, staging, {_stem(item.file_name) for item in index})
    images = image_targets(index, format_name, staging)

    result = PullResult(version=version_id, directory=directory, images=len(images))
    fetch_images(api, directory, images, result, jobs=jobs, retries=retries, progress=progress)
    labels = install_labels(directory, staging)
    result.removed = prune_images(directory, {image.path for image in images})
    lock = lock_document(
        url=api.url,
        project=project_id,
        version=version_id,
        format_name=format_name,
        filters=filters,
        index_sha256=index_sha256,
        export_sha256=export_result["sha256"],
        files=[(image.sha256, image.path) for image in images] + labels,
    )
    if locked is None:
        lock_write(directory / LOCK_NAME, lock)
    elif (lock["files"], lock["files_sha256"]) != (locked.get("files"), locked.get("files_sha256")):
        raise IntegrityError(
            "This pull does not reproduce loupe.lock: its files hash to "
            f"{lock['files_sha256'][:12]}, the lock says {str(locked.get('files_sha256'))[:12]}."
        )
    result.lock = lock
    return result


def _check_splits(splits: Iterable[str]) -> None:
    unknown = sorted(set(splits) - set(SPLITS))
    if unknown:
        raise LoupeError(f"Unknown split {unknown[0]!r}; use one of: {', '.join(SPLITS)}.")


def _check_exports(locked: dict[str, Any], index_sha256: str, export_sha256: str) -> None:
    expected = (locked.get("index", {}).get("sha256"), locked.get("export", {}).get("sha256"))
    if expected != (index_sha256, export_sha256):
        raise IntegrityError(
            "The server's index or export of this version no longer match loupe.lock "
            f"(index {index_sha256[:12]}, labels {export_sha256[:12]}); refusing to pull "
            "something else than what the lock pins."
        )


# --- exports --------------------------------------------------------------------------------


def fetch_index(api: Api, version_id: str, filters: Filters) -> list[IndexItem]:
    """The items the server keeps for these filters, by item id."""
    rows = api.index(version_id, splits=filters.splits, classes=filters.classes)
    return [
        IndexItem(
            item_id=int(row["item"]),
            file_name=str(row["file_name"]),
            sha256=str(row["asset_sha256"]),
            split=str(row["split"]),
            url=str(row["image_url"]),
        )
        for row in rows
    ]


def index_digest(index: list[IndexItem]) -> str:
    """What the lock pins of the index: each item's id, hash, split and file name."""
    rows = [[item.item_id, item.sha256, item.split, item.file_name] for item in index]
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def fetch_export(
    api: Api, version_id: str, format_name: str, cache: Path, filters: Filters = Filters()
) -> tuple[dict[str, Any], Path]:
    """The server's export in `format_name`, cut by the filters, kept in the cache under its
    hash (downloaded once)."""
    result = api.export(version_id, format_name, splits=filters.splits, classes=filters.classes)
    sha256 = str(result["sha256"])
    suffix = Path(str(result.get("file_name", ""))).suffix or ".bin"
    path = cache / f"{version_id[:16]}-{format_name}-{sha256}{suffix}"
    if not (path.exists() and file_sha256(path) == sha256):
        api.download(str(result["download"]), path, sha256=sha256)
    for stale in cache.glob(f"*-{format_name}-*"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return result, path


def _stem(file_name: str) -> str:
    return os.path.splitext(os.path.basename(file_name))[0]


def image_targets(index: list[IndexItem], format_name: str, staging: Path) -> list[Image]:
    """Where each kept image goes. YOLO wants images/<split>/ beside labels/<split>/, so the
    folders come from the label files the export wrote, not from a copy of its rules."""
    folder_of: dict[str, str] = {}
    if format_name == "yolo":
        for relative in label_paths(staging):
            parts = relative.parts
            if len(parts) == 3 and parts[0] == "labels":
                folder_of[Path(parts[2]).stem] = parts[1]
    targets: dict[str, Image] = {}
    for item in index:
        name = item.file_name if IMAGE_NAME.match(item.file_name) else f"{item.sha256}.bin"
        if not name.startswith(item.sha256):
            name = f"{item.sha256}{os.path.splitext(name)[1]}"
        folder = folder_of.get(_stem(name))
        path = f"images/{folder}/{name}" if folder else f"images/{name}"
        # One asset placed twice in a project is one file.
        targets.setdefault(path, Image(sha256=item.sha256, path=path, url=item.url))
    return sorted(targets.values(), key=lambda image: image.path)


# --- images ---------------------------------------------------------------------------------


def fetch_images(
    api: Api,
    directory: Path,
    images: list[Image],
    result: PullResult,
    *,
    jobs: int,
    retries: int,
    progress: bool | None,
) -> None:
    """Verify what is on disk, then download what is missing or wrong, `jobs` at a time."""
    disable = None if progress is None else not progress
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        with tqdm(total=len(images), desc="verify", unit="file", disable=disable) as bar:
            check = _Counter(bar)
            present = _run_all(
                pool, images, lambda image: _verified(directory, image, result), check
            )
        missing = [image for image, ok in zip(images, present, strict=True) if not ok]
        if not missing:
            return
        with tqdm(total=len(missing), desc="download", unit="file", disable=disable) as bar:
            done = _Counter(bar)
            try:
                _run_all(pool, missing, lambda image: _fetch(api, directory, image, retries), done)
            except NetworkError as error:
                raise NetworkError(
                    f"{error} {done.count} of {len(missing)} missing images arrived; run the "
                    "same command again to resume."
                ) from None
            finally:
                result.downloaded = done.count


class _Counter:
    """Finished files, counted apart from the bar (a disabled tqdm does not count)."""

    def __init__(self, bar: "tqdm[Any]") -> None:
        self.bar, self.count, self.lock = bar, 0, threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            self.count += 1
            self.bar.update(1)


_lock = threading.Lock()


def _verified(directory: Path, image: Image, result: PullResult) -> bool:
    path = directory / image.path
    if not path.is_file():
        return False
    if file_sha256(path) == image.sha256:
        return True
    # A file that does not hash to its name is never kept, whatever put it there.
    path.unlink()
    with _lock:
        result.refused += 1
    return False


def _fetch(api: Api, directory: Path, image: Image, retries: int) -> None:
    for attempt in range(retries + 1):
        try:
            api.download(image.url, directory / image.path, sha256=image.sha256)
            return
        except (NetworkError, IntegrityError):
            if attempt == retries:
                raise
            time.sleep(0.2 * 2**attempt)


def _run_all(
    pool: ThreadPoolExecutor,
    images: list[Image],
    work: Callable[[Image], Any],
    finished: Callable[[], None],
) -> list[Any]:
    """Run `work` over every image; on the first failure cancel what has not started."""
    futures: list[Future[Any]] = []
    for image in images:
        future = pool.submit(work, image)
        future.add_done_callback(
            lambda done: finished() if not done.cancelled() and not done.exception() else None
        )
        futures.append(future)
    try:
        _, pending = wait(futures, return_when=FIRST_EXCEPTION)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    for future in pending:
        future.cancel()
    wait(futures)
    for future in futures:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            raise error
    return [future.result() for future in futures]


# --- labels, pruning, lock ------------------------------------------------------------------


def install_labels(directory: Path, staging: Path) -> list[tuple[str, str]]:
    """Swap the staged labels in for the previous ones; (sha256, path) of every label file."""
    files = [
        (file_sha256(staging / relative), relative.as_posix()) for relative in label_paths(staging)
    ]
    trash = directory / STATE_DIR / "trash"
    shutil.rmtree(trash, ignore_errors=True)
    trash.mkdir(parents=True)
    for managed in ("labels", "data.yaml"):
        if (directory / managed).exists():
            os.replace(directory / managed, trash / managed)
    for entry in staging.iterdir():
        os.replace(entry, directory / entry.name)
    shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return files


def prune_images(directory: Path, wanted: set[str]) -> int:
    """Remove images of other pulls (and leftover .part files) so DIR holds exactly the lock."""
    root = directory / "images"
    removed = 0
    if not root.is_dir():
        return 0
    for path in sorted(root.rglob("*"), reverse=True):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and relative not in wanted:
            path.unlink()
            removed += not relative.endswith(".part")
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def lock_document(
    *,
    url: str,
    project: int,
    version: str,
    format_name: str,
    filters: Filters,
    index_sha256: str,
    export_sha256: str,
    files: list[tuple[str, str]],
) -> dict[str, Any]:
    """No timestamps: the same pull writes the same bytes, so a training repo diffs cleanly."""
    ordered = sorted([sha256, path] for sha256, path in files)
    listing = json.dumps(ordered, separators=(",", ":")).encode()
    return {
        "lock_format": LOCK_FORMAT,
        "server": url,
        "project": project,
        "version": version,
        "format": format_name,
        "filters": filters.as_json(),
        "index": {"format": "items", "sha256": index_sha256},
        "export": {"format": format_name, "sha256": export_sha256},
        "files_sha256": hashlib.sha256(listing).hexdigest(),
        "files": ordered,
    }


def lock_write(path: Path, lock: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)


def lock_read(path: Path) -> dict[str, Any]:
    try:
        lock = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LoupeError(
            f"No lock file at {path}: run `loupe pull` without --locked first."
        ) from None
    except ValueError as error:
        raise LoupeError(f"{path} is not a Loupe lock file: {error}.") from None
    if isinstance(lock, dict) and lock.get("lock_format") == 1:
        raise LoupeError(
            f"{path} was written by an older loupe (lock format 1): run `loupe pull` without "
            "--locked once to pin the same version again."
        )
    if not isinstance(lock, dict) or lock.get("lock_format") != LOCK_FORMAT:
        raise LoupeError(f"{path} is not a Loupe lock file (format {LOCK_FORMAT}).")
    return lock
