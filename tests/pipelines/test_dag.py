import pytest

from pipelines.dag import PipelineError, build_dag
from pipelines.steps import Registry, Step, StepDeclarationError, code_fingerprint, step


def _registry(*declarations: tuple[str, tuple[str, ...], str]) -> Registry:
    registry = Registry()
    for name, inputs, granularity in declarations:
        registry.register(
            Step(name=name, version=1, inputs=inputs, granularity=granularity, compute=len)  # type: ignore[arg-type]
        )
    return registry


def test_order_is_topological_with_item_steps_first_then_by_name() -> None:
    registry = _registry(
        ("stats", ("image",), "item"),
        ("hash", ("image",), "item"),
        ("groups", ("hash", "split"), "dataset"),
        ("marks", ("groups", "annotation"), "item"),
        ("alpha", ("stats",), "item"),
    )

    dag = build_dag(["marks", "alpha"], registry)

    assert dag.names == ("hash", "stats", "alpha", "groups", "marks")
    assert dag.downstream == {
        "hash": ("groups",),
        "stats": ("alpha",),
        "alpha": (),
        "groups": ("marks",),
        "marks": (),
    }


def test_same_steps_in_any_listing_order_give_the_same_dag() -> None:
    registry = _registry(("a", ("image",), "item"), ("b", ("a",), "item"), ("c", ("a",), "item"))

    assert build_dag(["c", "b", "a"], registry) == build_dag(["a", "b", "c"], registry)


def test_upstream_steps_are_pulled_in() -> None:
    registry = _registry(("a", ("image",), "item"), ("b", ("a",), "item"))

    assert build_dag(["b"], registry).names == ("a", "b")


def test_cycle_is_refused_naming_it() -> None:
    registry = _registry(
        ("a", ("image", "c"), "item"), ("b", ("a",), "item"), ("c", ("b",), "item")
    )

    with pytest.raises(PipelineError, match=r"cycle: a -> c -> b -> a"):
        build_dag(["b"], registry)


def test_unknown_input_is_refused_naming_step_and_input() -> None:
    registry = _registry(("a", ("image", "colour"), "item"))

    with pytest.raises(PipelineError, match=r"Step 'a' reads unknown input 'colour'"):
        build_dag(["a"], registry)


def test_unknown_step_and_empty_pipeline_are_refused() -> None:
    registry = _registry(("a", ("image",), "item"))

    with pytest.raises(PipelineError, match=r"Unknown step 'zz'"):
        build_dag(["zz"], registry)
    with pytest.raises(PipelineError, match="at least one step"):
        build_dag([], registry)


def test_decorator_registers_a_callable_step() -> None:
    registry = Registry()

    @step(name="double", version=2, inputs=("image",), registry=registry)
    def double(value: int) -> int:
        return value * 2

    assert registry.get("double") is double
    assert double(21) == 42
    assert (double.name, double.version, double.inputs, double.granularity) == (
        "double",
        2,
        ("image",),
        "item",
    )


def test_fingerprint_follows_the_source_text() -> None:
    def first(value: int) -> int:
        return value + 1

    def second(value: int) -> int:
        return value + 2

    assert code_fingerprint(first) != code_fingerprint(second)
    assert code_fingerprint(first) == code_fingerprint(first)
    # Builtins have no Python source: the qualified name stands in.
    assert code_fingerprint(len) == code_fingerprint(len)
    assert code_fingerprint(len) != code_fingerprint(abs)


@pytest.mark.parametrize(
    ("name", "inputs", "granularity", "message"),
    [
        ("image", ("annotation",), "item", "may not be named"),
        ("a", ("image",), "batch", "granularity"),
        ("a", ("image", "image"), "item", "twice"),
        ("a", ("a",), "item", "its own output"),
    ],
)
def test_bad_declarations_are_refused(
    name: str, inputs: tuple[str, ...], granularity: str, message: str
) -> None:
    with pytest.raises(StepDeclarationError, match=message):
        Step(name=name, version=1, inputs=inputs, granularity=granularity, compute=len)  # type: ignore[arg-type]


def test_a_different_step_under_a_taken_name_is_refused() -> None:
    registry = _registry(("a", ("image",), "item"))

    with pytest.raises(StepDeclarationError, match="different step named 'a'"):
        registry.register(
            Step(name="a", version=2, inputs=("image",), granularity="item", compute=len)
        )


def test_steps_with_a_dict_config_can_be_set_members() -> None:
    def compute(value: int) -> int:
        return value

    first = Step(
        name="a",
        version=1,
        inputs=("image",),
        granularity="item",
        compute=compute,
        config={"threshold": 0.5},
    )
    same = Step(
        name="a",
        version=1,
        inputs=("image",),
        granularity="item",
        compute=compute,
        config={"threshold": 0.5},
    )

    assert {first, same} == {first}
