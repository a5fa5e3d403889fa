import pytest
import rfc8785

from formats.canonical import canonical_json
from versioning.services import manifest_canonical

DIGEST = "ab" * 32


@pytest.mark.parametrize(
    "manifest",
    [
        {"schema_hash": DIGEST, "filters": {}, "items": []},
        {
            "schema_hash": DIGEST,
            "filters": {"items": [3, 1], "splits": ["train", "val"]},
            "items": [[1, DIGEST, None, "train"], [2**40, DIGEST, DIGEST, ""]],
        },
        {"schema_hash": DIGEST, "filters": {}, "items": [[1, DIGEST, None, 'tab\t"quote"\\']]},
        {"schema_hash": DIGEST, "filters": {}, "items": [[1, DIGEST, None, "validação"]]},
        {"schema_hash": DIGEST, "filters": {}, "items": [[1, DIGEST, None, "del\x7f\x01\u2028"]]},
        {"schema_hash": DIGEST, "filters": {"weird": [1.5, 1e21]}, "items": []},
        # The largest safe id; past the one-dumps path: a bool, a float, an extra key.
        {"schema_hash": DIGEST, "filters": {}, "items": [[2**53 - 1, DIGEST, None, "a"]]},
        {"schema_hash": DIGEST, "filters": {}, "items": [[True, DIGEST, None, "a"]]},
        {"schema_hash": DIGEST, "filters": {}, "items": [[1, DIGEST, 1.0, "a"]]},
        {"schema_hash": DIGEST, "filters": {}, "items": [[1, DIGEST, None, "a"]], "é": 1},
    ],
    ids=[
        "empty",
        "filters",
        "escapes",
        "non-ascii",
        "controls",
        "floats",
        "huge-id",
        "bool-id",
        "float-value",
        "extra-key",
    ],
)
def test_manifest_bytes_are_exactly_rfc_8785(manifest):
    assert canonical_json(manifest) == rfc8785.dumps(manifest)
    assert manifest_canonical(manifest) == rfc8785.dumps(manifest)


def test_an_id_past_2_53_is_refused_as_rfc_8785_refuses_it():
    manifest = {"schema_hash": DIGEST, "filters": {}, "items": [[2**53, DIGEST, None, "a"]]}
    with pytest.raises(rfc8785.IntegerDomainError):
        rfc8785.dumps(manifest)
    with pytest.raises(rfc8785.IntegerDomainError):
        manifest_canonical(manifest)


def test_manifest_rows_may_be_tuples_as_the_database_returns_them():
    rows = [(1, DIGEST, None, "train"), (7, DIGEST, DIGEST, "val")]
    manifest = {"schema_hash": DIGEST, "filters": {"splits": ["train"]}, "items": rows}
    as_lists = {**manifest, "items": [list(row) for row in rows]}
    assert manifest_canonical(manifest) == rfc8785.dumps(as_lists)
