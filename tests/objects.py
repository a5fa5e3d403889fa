"""What object storage holds, read through Django's default storage (local directory or S3)."""

from django.core.files.storage import default_storage

from storage.models import object_key


def names_under(folder: str) -> list[str]:
    """File names directly in a storage folder ([] when it does not exist)."""
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(files)


def asset_copies(sha256: str) -> list[str]:
    """Every object stored for these bytes: the hash key, plus any suffixed duplicate."""
    folder = object_key(sha256).rsplit("/", 1)[0]
    return [name for name in names_under(folder) if name.startswith(sha256)]


def thumbnail_copies(sha256: str) -> list[str]:
    return [name for name in names_under(f"thumbs/{sha256[:2]}") if name.startswith(sha256)]


def read(key: str) -> bytes:
    with default_storage.open(key, "rb") as handle:
        return handle.read()
