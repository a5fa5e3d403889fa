import io
import zipfile

from formats.zipstream import ZipStream


class Unseekable:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


def archive(out: object) -> None:
    with ZipStream(out) as stream:  # type: ignore[arg-type]
        stream.write("b.txt", b"second name, written first")
        with stream.member("a.bin", compress=False) as member:
            member.write(b"\x00" * 1000)
            member.write(b"streamed in parts")


def test_same_members_give_the_same_bytes_on_a_file_or_a_pipe() -> None:
    seekable, pipe = io.BytesIO(), Unseekable()

    archive(seekable)
    archive(pipe)

    assert seekable.getvalue() == pipe.buffer.getvalue()


def test_members_keep_our_order_fixed_dates_and_modes() -> None:
    out = io.BytesIO()
    archive(out)

    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as reader:
        infos = reader.infolist()
        assert [info.filename for info in infos] == ["b.txt", "a.bin"]
        assert [info.date_time for info in infos] == [(1980, 1, 1, 0, 0, 0)] * 2
        assert [info.external_attr >> 16 for info in infos] == [0o100644] * 2
        assert [info.compress_type for info in infos] == [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]
        assert reader.read("a.bin") == b"\x00" * 1000 + b"streamed in parts"
        assert reader.testzip() is None
