"""Pascal VOC: one Annotations/<stem>.xml per item, in a zip.

VOC holds axis-aligned boxes. Other kinds with an extent (polygons, masks, keypoints, cuboids,
polylines, turned boxes) are written as their bounds with a <note> naming what they were; tags
have no VOC form. Coordinates are Loupe's: 0-based pixels, origin top-left, 2 decimals (classic
VOC counted pixels from 1; we keep sub-pixel boxes rather than round them). Boolean attributes
named "difficult" and "truncated" fill VOC's fields of those names.
"""

import json
import zipfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO
from xml.etree import ElementTree
from xml.parsers import expat

from formats.geometry import bounds, number
from formats.importing import Schema, check_attributes, check_inside, make_shape, shape_id
from formats.records import FormatError, ImportedItem, ItemShapes, Label, Shape
from formats.streams import ItemSource, file_stem, in_item_order
from formats.zipstream import ZipStream

ANNOTATIONS = "Annotations"


def write_voc(out: BinaryIO, *, labels: list[Label], items: ItemSource) -> None:
    """Stream one XML member per item, in item-id order."""
    with ZipStream(out) as archive:
        for entry in in_item_order(items):
            name = f"{ANNOTATIONS}/{file_stem(entry.item.file_name)}.xml"
            archive.write(name, _document(entry))


def _document(entry: ItemShapes) -> bytes:
    item = entry.item
    root = ElementTree.Element("annotation")
    _text(root, "folder", "JPEGImages")
    _text(root, "filename", item.file_name)
    size = ElementTree.SubElement(root, "size")
    for tag, value in (("width", item.width), ("height", item.height), ("depth", 3)):
        _text(size, tag, str(value))
    _text(root, "segmented", "0")
    for shape in entry.shapes:
        box = bounds(shape)
        if box is not None:
            root.append(_object(shape, box))
    ElementTree.indent(root)
    text: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return text + b"\n"


def _object(shape: Shape, box: tuple[float, float, float, float]) -> ElementTree.Element:
    attributes = shape.get("attributes") or {}
    element = ElementTree.Element("object")
    _text(element, "name", shape["label"])
    _text(element, "pose", "Unspecified")
    _text(element, "truncated", "1" if attributes.get("truncated") is True else "0")
    _text(element, "difficult", "1" if attributes.get("difficult") is True else "0")
    _text(element, "occluded", "1" if shape.get("occluded") else "0")
    bndbox = ElementTree.SubElement(element, "bndbox")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        _text(bndbox, tag, str(number(value)))
    note = _note(shape)
    if note:
        _text(element, "note", note)
    if attributes:
        listing = ElementTree.SubElement(element, "attributes")
        for key in sorted(attributes):
            attribute = ElementTree.SubElement(listing, "attribute")
            _text(attribute, "name", key)
            _text(attribute, "value", _attribute_text(attributes[key]))
    return element


def _note(shape: Shape) -> str:
    if shape["kind"] != "box":
        return f"bounds of a {shape['kind']} shape"
    if shape.get("rotation"):
        return f"bounds of a box turned {number(shape['rotation'])} degrees"
    return ""


def _attribute_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _text(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = text


def read_voc(
    fp: IO[bytes], *, labels: list[Label], name: str = "annotation.xml"
) -> list[ImportedItem]:
    """Read a zip of VOC XML files (any *.xml member) or one XML file; boxes only.

    `fp` must be seekable (an upload or a file): telling a zip from XML reads its end.
    """
    schema = Schema(labels)
    if zipfile.is_zipfile(fp):
        fp.seek(0)
        return list(_read_zip(fp, schema))
    fp.seek(0)
    return [_read_document(fp.read(), schema, name)]


def _read_zip(fp: IO[bytes], schema: Schema) -> Iterator[ImportedItem]:
    with zipfile.ZipFile(fp) as archive:
        for member in sorted(archive.namelist()):
            if member.lower().endswith(".xml"):
                yield _read_document(archive.read(member), schema, member)


class _Refused(Exception):
    pass


def _refuse(*_: Any) -> None:
    raise _Refused


def parse_xml(data: bytes, *, location: str) -> ElementTree.Element:
    """Parse XML refusing any DOCTYPE, the door to entity expansion ("billion laughs") and to
    external entities; a first expat pass stops at the declaration before anything expands."""
    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _refuse
    scanner.EntityDeclHandler = _refuse
    try:
        scanner.Parse(data, True)
    except _Refused:
        raise FormatError(
            "DOCTYPE and ENTITY declarations are refused.", location=location
        ) from None
    except expat.ExpatError as error:
        message = f"Malformed XML: {expat.ErrorString(error.code)} (column {error.offset + 1})."
        raise FormatError(message, location=f"{location}, line {error.lineno}") from None
    return ElementTree.fromstring(data)


def _read_document(data: bytes, schema: Schema, location: str) -> ImportedItem:
    root = parse_xml(data, location=location)
    file_name = _child_text(root, "filename", location)
    width = _integer(_child_text(root, "size/width", location), f"{location}: size/width")
    height = _integer(_child_text(root, "size/height", location), f"{location}: size/height")
    shapes = []
    for index, element in enumerate(root.iterfind("object")):
        where = f"{location}: object[{index}]"
        shape = _read_object(element, schema, shape_id(file_name, index), where)
        check_inside(shape, width, height, location=where)
        shapes.append(shape)
    return ImportedItem(file_name, None, shapes, {})


def _read_object(element: ElementTree.Element, schema: Schema, new_id: str, location: str) -> Shape:
    label = schema.label(_child_text(element, "name", location), location=f"{location}/name")
    if label["kind"] != "box":
        message = f"VOC holds boxes; class {label['name']!r} takes {label['kind']} shapes."
        raise FormatError(message, location=location)
    points = []
    for tag in ("xmin", "ymin", "xmax", "ymax"):
        text = _child_text(element, f"bndbox/{tag}", location)
        try:
            points.append(float(text))
        except ValueError:
            raise FormatError(
                f"Expected a number, got {text!r}.", location=f"{location}/bndbox/{tag}"
            ) from None
    if not (points[0] < points[2] and points[1] < points[3]):
        raise FormatError("A box needs xmin < xmax and ymin < ymax.", location=f"{location}/bndbox")
    attributes = _read_attributes(element, label, location)
    occluded = element.findtext("occluded", "0").strip() == "1"
    return make_shape(
        shape_id=new_id, label=label, points=points, attributes=attributes, occluded=occluded
    )


def _read_attributes(element: ElementTree.Element, label: Label, location: str) -> dict[str, Any]:
    types = {attribute["name"]: attribute["type"] for attribute in label.get("attributes") or []}
    values: dict[str, Any] = {}
    for attribute in element.iterfind("attributes/attribute"):
        key, text = attribute.findtext("name", ""), attribute.findtext("value", "")
        kind = types.get(key, "text")
        if kind in ("checkbox", "number"):
            try:
                values[key] = json.loads(text)
            except ValueError:
                raise FormatError(
                    f"Bad {kind} value {text!r} for {key!r}.", location=location
                ) from None
        else:
            values[key] = text
    return check_attributes(values, label, location=f"{location}/attributes")


def _child_text(element: ElementTree.Element, path: str, location: str) -> str:
    text = element.findtext(path)
    if text is None or not text.strip():
        raise FormatError(f"Missing <{path}>.", location=location)
    return text.strip()


def _integer(text: str, location: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise FormatError(f"Expected a positive integer, got {text!r}.", location=location)
    return int(text)
