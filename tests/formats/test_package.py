import subprocess
import sys

from formats import EXPORTERS


def test_the_codecs_import_nothing_of_django_or_the_apps() -> None:
    code = (
        "import sys, formats; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'django', 'rest_framework', 'common', 'storage', 'projects', 'annotate', 'quality', "
        "'versioning', 'pipelines', 'loupe'}))"
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
