"""Deterministic zip archives written straight into a binary stream.

The same members in the same order give the same bytes: every entry is dated 1980-01-01 (the
zip epoch), marked as a Unix file with mode 0644, and deflated at zlib's default level.
The output is always treated as unseekable, so entries carry data descriptors whether the
caller hands us a file, a socket or an in-memory buffer; otherwise the same export would come
out differently on disk and over the network.
"""

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import IO, BinaryIO

EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
UNIX = 3


class _Unseekable(io.RawIOBase):
    """Hides seek/tell so zipfile takes its streaming path for every kind of output."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._out.write(data)
        return len(data)

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("unseekable by design")

    def flush(self) -> None:
        self._out.flush()


class ZipStream:
    """Write members one after another; use as a context manager or call close()."""

    def __init__(self, out: BinaryIO) -> None:
        self._zip = zipfile.ZipFile(_Unseekable(out), mode="w")

    @contextmanager
    def member(self, name: str, *, compress: bool = True) -> Iterator[IO[bytes]]:
        """A writable stream for one member; nothing of it is held in memory."""
        info = zipfile.ZipInfo(name, date_time=EPOCH)
        info.create_system = UNIX
        info.external_attr = FILE_MODE << 16
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        # force_zip64: sizes are unknown up front, and a large Parquet table may pass 2 GiB.
        with self._zip.open(info, mode="w", force_zip64=True) as stream:
            yield stream

    def write(self, name: str, data: bytes) -> None:
        with self.member(name) as stream:
            stream.write(data)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> "ZipStream":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
