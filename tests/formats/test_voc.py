import io
import zipfile
from xml.etree import ElementTree

import pytest

from formats.records import FormatError, ItemShapes
from formats.voc import read_voc, write_voc
from tests.formats.helpers import export
from tests.formats.samples import LABELS, every_kind, item, shape

CAR = LABELS[0]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_one_xml_per_item_with_boxes_and_notes_for_other_kinds() -> None:
    data = export(write_voc, [every_kind(1), every_kind(2)], labels=LABELS)

    files = members(data)

    assert list(files) == ["Annotations/img_1.xml", "Annotations/img_2.xml"]
    root = ElementTree.fromstring(files["Annotations/img_1.xml"])
    assert root.findtext("filename") == "img_1.jpg"
    assert root.findtext("size/width") == "64"
    objects = root.findall("object")
    # everything but the tag has bounds
    assert [o.findtext("name") for o in objects] == [
        "car",
        "car",
        "person",
        "road",
        "blob",
        "lane",
        "crate",
    ]
    assert [objects[0].findtext(f"bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")] == [
        "4",
        "5",
        "20",
        "15",
    ]
    assert objects[0].findtext("attributes/attribute/value") == "blue"
    assert objects[1].findtext("note") == "bounds of a box turned 30 degrees"
    assert objects[1].findtext("occluded") == "1"
    assert objects[3].findtext("note") == "bounds of a polygon shape"


def test_zip_entries_are_dated_1980_and_export_is_byte_identical() -> None:
    entries = [every_kind(1), every_kind(2)]
    data = export(write_voc, entries, labels=LABELS)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    assert data == export(write_voc, entries, labels=LABELS)


def test_boxes_round_trip_with_attributes() -> None:
    boxes = [
        shape(
            1, "car", "box", [4.25, 5.0, 20.0, 15.5], attributes={"colour": "blue", "iscrowd": True}
        ),
        shape(2, "car", "box", [0.0, 0.0, 64.0, 48.0], occluded=True),
    ]
    data = export(write_voc, [ItemShapes(item(1), boxes)], labels=[CAR])

    [imported] = read_voc(io.BytesIO(data), labels=LABELS)

    assert imported.file_name == "img_1.jpg"
    assert [{k: v for k, v in s.items() if k != "id"} for s in imported.shapes] == [
        {k: v for k, v in s.items() if k != "id"} for s in boxes
    ]


def test_a_single_xml_file_is_read_too() -> None:
    data = members(
        export(
            write_voc,
            [ItemShapes(item(1), [shape(1, "car", "box", [1.0, 2.0, 3.0, 4.0])])],
            labels=[CAR],
        )
    )

    [imported] = read_voc(io.BytesIO(data["Annotations/img_1.xml"]), labels=LABELS)

    assert [s["points"] for s in imported.shapes] == [[1.0, 2.0, 3.0, 4.0]]


def voc(objects: str, size: str = "<width>100</width><height>50</height>") -> io.BytesIO:
    text = f"<annotation><filename>a.jpg</filename><size>{size}</size>{objects}</annotation>"
    return io.BytesIO(text.encode())


def car(
    box: str = "<xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax>", name: str = "car"
) -> str:
    return f"<object><name>{name}</name><bndbox>{box}</bndbox></object>"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<annotation><filename>&lol2;</filename></annotation>"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            io.BytesIO(BILLION_LAUGHS),
            "annotation.xml: DOCTYPE and ENTITY declarations are refused.",
        ),
        (
            io.BytesIO(b"<annotation><filename>a.jpg</annotation>"),
            "annotation.xml, line 1: Malformed XML: mismatched tag (column 30).",
        ),
        (voc(car(name="tractor")), "annotation.xml: object[0]/name: Unknown category 'tractor'."),
        (
            voc(car(name="road")),
            "annotation.xml: object[0]: VOC holds boxes; class 'road' takes polygon shapes.",
        ),
        (
            voc(car(box="<xmin>a</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax>")),
            "annotation.xml: object[0]/bndbox/xmin: Expected a number, got 'a'.",
        ),
        (
            voc(car(box="<xmin>1</xmin><ymin>2</ymin><xmax>300</xmax><ymax>4</ymax>")),
            "annotation.xml: object[0]: Coordinates outside the 100x50 image.",
        ),
        (voc(car(), size="<width>100</width>"), "annotation.xml: Missing <size/height>."),
    ],
)
def test_malformed_xml_is_refused_with_its_location(content: io.BytesIO, message: str) -> None:
    with pytest.raises(FormatError) as error:
        read_voc(content, labels=LABELS)

    assert str(error.value) == message


def test_a_bad_member_of_a_zip_is_named() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        writer.writestr("Annotations/b.xml", voc(car(name="tractor")).getvalue())

    with pytest.raises(FormatError) as error:
        read_voc(archive, labels=LABELS)

    assert str(error.value) == "Annotations/b.xml: object[0]/name: Unknown category 'tractor'."
