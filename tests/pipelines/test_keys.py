"""The planner's fast item key is exactly the hash of the key's canonical JSON."""

from hypothesis import given, settings
from hypothesis import strategies as st

from formats.canonical import content_hash
from pipelines.inputs import DatasetSource, Item
from pipelines.keys import dataset_key, dataset_key_material, item_key, item_key_material
from pipelines.steps import Step

text = st.text(max_size=12)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    name=st.from_regex(r"s_[a-z_]{0,10}", fullmatch=True),
    version=st.integers(0, 10**6),
    config=json_values,
    image=text,
    annotation=st.none() | text,
    split=text,
    upstream=st.dictionaries(st.sampled_from(["up_a", "up_b", "up_ü"]), text, max_size=3),
    with_activity=st.booleans(),
)
def test_the_fast_key_hashes_the_canonical_key_material(
    name, version, config, image, annotation, split, upstream, with_activity
):
    inputs = ("image", "annotation", "split", *(["activity"] if with_activity else []))
    step = Step(
        name=name,
        version=version,
        compute=lambda inputs: None,
        inputs=(*inputs, *upstream),
        granularity="item",
        config=config,
    )
    item = Item(item_id="1", image=image, annotation=annotation, split=split)
    sources = {"activity": DatasetSource.of([{"at": image}])} if with_activity else {}
    hashes = dict(upstream)

    fast = item_key(step, item, hashes, sources)

    assert fast == content_hash(item_key_material(step, item, hashes, sources))


@settings(max_examples=150, deadline=None)
@given(
    config=json_values,
    rows=st.lists(st.tuples(text, st.none() | text, text), max_size=6),
    upstream=st.sampled_from(["phash", "up_ü"]),
    dataset_upstream=st.dictionaries(st.sampled_from(["d_a", "d_ü"]), text, max_size=2),
    reads_items=st.booleans(),
)
def test_the_fast_dataset_key_hashes_the_canonical_key_material(
    config, rows, upstream, dataset_upstream, reads_items
):
    item_inputs = ("split", "annotation", upstream) if reads_items else ()
    step = Step(
        name="s_dataset",
        version=3,
        compute=lambda inputs: None,
        inputs=(*item_inputs, *dataset_upstream),
        granularity="dataset",
        config=config,
    )
    items = [
        Item(item_id=f"{index}", image="i", annotation=annotation, split=split)
        for index, (split, annotation, _) in enumerate(rows)
    ]
    item_hashes = {upstream: {f"{index}": row[2] for index, row in enumerate(rows)}}

    fast = dataset_key(step, items, item_hashes if reads_items else {}, dataset_upstream)

    material = dataset_key_material(
        step, items, item_hashes if reads_items else {}, dataset_upstream
    )
    assert fast == content_hash(material)
    assert material["items"] == (
        [
            [
                item.item_id,
                {"annotation": item.annotation, "split": item.split},
                {upstream: item_hashes[upstream][item.item_id]},
            ]
            for item in sorted(items, key=lambda i: i.item_id)
        ]
        if reads_items
        else None
    )
