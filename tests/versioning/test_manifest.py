import pytest
import rfc8785

from versioning.manifest import manifest_bytes

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
    ],
    ids=["empty", "filters", "escapes", "non-ascii", "controls", "floats"],
)
def test_manifest_bytes_are_exactly_rfc_8785(manifest):
    assert manifest_bytes(manifest) == rfc8785.dumps(manifest)
