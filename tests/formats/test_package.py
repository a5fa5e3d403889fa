import hashlib
import subprocess
import sys

import pytest

from formats import EXPORTERS
from tests.formats.helpers import export
from tests.formats.samples import LABELS, every_kind


def test_the_package_imports_nothing_of_django_the_apps_or_heavy_codecs() -> None:
    code = (
        "import sys, formats; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'django', 'rest_framework', 'common', 'storage', 'projects', 'annotate', 'quality', "
        "'versioning', 'pipelines', 'loupe', 'pyarrow', 'pycocotools'}))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def test_every_export_format_names_its_file_extension_and_media_type() -> None:
    assert {name: (e.extension, e.media_type) for name, e in EXPORTERS.items()} == {
        "coco": (".json", "application/json"),
        "voc": (".zip", "application/zip"),
        "yolo": (".zip", "application/zip"),
        "jsonl": (".jsonl", "application/jsonl"),
        "parquet": (".zip", "application/zip"),
    }


# A version must re-export to the same bytes years later. These digests change only when a codec
# or a pinned library (pyarrow, zlib, pycocotools) changes its output: then decide, deliberately,
# whether old versions may export differently.
GOLDEN = {
    "coco": "35fdfb87039bfd5f194ac602066e5e46b32ff0f2aa078a66471c8e8367d41e8d",
    "voc": "6c46c8140a7c890ca81b3be1d9c7cbd02febd62716726f980e3a06c2da5ecf06",
    "yolo": "31a139646f9bc93c60d2fa819d2b95f70e1dcb0ab7c7549fab5dc4a951dfe735",
    "jsonl": "a4e73b1977d9b484925cbed284251dad68d53c4f0a5ddc9f7dded34009eb8584",
    "parquet": "853a93eaff4322dedb7c21bf0c1b9956b5e55a2a4f6ec6f6ba5b11cf748b0290",
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_exports_keep_their_golden_bytes(name: str) -> None:
    labels = LABELS[:3] if name == "yolo" else LABELS
    entries = [every_kind(n) for n in range(1, 4)]

    data = export(EXPORTERS[name].write, entries, labels=labels)

    assert hashlib.sha256(data).hexdigest() == GOLDEN[name]


def test_every_codec_module_imports_without_django() -> None:
    code = (
        "import sys, formats.coco, formats.voc, formats.yolo, formats.jsonl, formats.parquet; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
