"""Labels on disk in the chosen format, laid out from the server's export.

The server cuts the export to the pulled items and classes (`loupe pull --split/--class`), so
single-file formats are kept byte for byte; from a zip only the label files of pulled images
are written, so the labels never name an image that was not pulled. Layouts (relative to the
pull directory):
- coco:  labels/coco.json
- jsonl: labels/items.jsonl
- voc:   labels/Annotations/<sha256>.xml
- yolo:  data.yaml and labels/<split>/<sha256>.txt (Ultralytics pairs them with images/<split>/)
"""

import posixpath
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from loupe_client.errors import IntegrityError

FORMATS = ("coco", "yolo", "voc", "jsonl")
SINGLE_FILE = {"coco": "labels/coco.json", "jsonl": "labels/items.jsonl"}


def write_labels(format_name: str, export: Path, staging: Path, stems: set[str]) -> None:
    """Lay the export out under `staging`; `stems` are the pulled images' names."""
    if format_name in SINGLE_FILE:
        target = staging / SINGLE_FILE[format_name]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(export, target)
        return
    folder = {"voc": "Annotations/", "yolo": "labels/"}[format_name]
    root = staging / "labels" if format_name == "voc" else staging
    for name, data in _members(export):
        stem = posixpath.splitext(posixpath.basename(name))[0]
        if name.startswith(folder) and stem not in stems:
            continue
        if format_name == "voc" and not name.startswith(folder):
            continue
        _write(root, name, data)


def _members(archive_path: Path) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(archive_path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename
            parts = PurePosixPath(name).parts
            if name.startswith("/") or "\\" in name or ".." in parts:
                raise IntegrityError(f"Refused the export: it holds an unsafe path {name!r}.")
            yield name, archive.read(info)


def _write(root: Path, name: str, data: bytes) -> None:
    target = root.joinpath(*PurePosixPath(name).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def label_paths(staging: Path) -> Iterator[Path]:
    """Every file the labels put in a pull directory, relative to the staging root."""
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            yield path.relative_to(staging)
