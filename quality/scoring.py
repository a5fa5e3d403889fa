"""Scoring one item's candidate shapes against its gold shapes (pure Python, no Django).

``score_item`` pairs shapes per kind with an optimal assignment and counts the outcomes
(TP, class errors, FP, FN) that ``quality/stats.py`` pools per annotator. The rules are written
out for managers in ``docs/scoring.md``; keep the two in step.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from quality.geometry import (
    DEFAULT_POLYLINE_TOLERANCE,
    Label,
    Shape,
    label_number,
    similarity_matrix,
)

Outcome = Literal["tp", "class_error", "fp", "fn"]

KINDS = ("tag", "box", "polygon", "polyline", "keypoints", "cuboid", "mask")
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Match:
    """One line of the comparison: a pair (tp, class_error) or a lone shape (fp, fn).

    ``similarity`` is None for a lone shape. Attributes are judged on TP pairs only (a class
    error's attributes belong to another class): ``attributes_compared`` of them, of which
    ``differing_attributes`` disagree.
    """

    gold_id: str | None
    candidate_id: str | None
    gold_label: str | None
    candidate_label: str | None
    kind: str
    similarity: float | None
    outcome: Outcome
    differing_attributes: tuple[str, ...] = ()
    attributes_compared: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"differing_attributes": list(self.differing_attributes)}


@dataclass(frozen=True)
class Counts:
    """Outcome counts and the rates derived from them; shared by one item and by a pool."""

    tp: int
    fp: int
    fn: int
    class_errors: int

    @property
    def errors(self) -> int:
        return self.class_errors + self.fp + self.fn

    @property
    def precision(self) -> float:
        """TP / every candidate shape; 1.0 when there is no candidate (nothing claimed wrongly)."""
        return _rate(self.tp, self.tp + self.class_errors + self.fp)

    @property
    def recall(self) -> float:
        """TP / every gold shape; 1.0 when there is no gold shape (nothing to find)."""
        return _rate(self.tp, self.tp + self.class_errors + self.fn)

    @property
    def accuracy(self) -> float:
        """TP / (TP + CE + FP + FN); 1.0 when all four are 0 (empty against empty is perfect)."""
        return _rate(self.tp, self.tp + self.errors)


def _rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


@dataclass(frozen=True)
class ItemScore(Counts):
    """The comparison of one item: counts, every shape's outcome, and similarity figures."""

    matches: tuple[Match, ...]
    mean_iou: float | None
    attribute_errors: int = 0
    attributes_compared: int = 0

    @property
    def attribute_accuracy(self) -> float | None:
        """Agreeing attributes / attributes compared over TP pairs; None when none compared."""
        if not self.attributes_compared:
            return None
        return 1.0 - self.attribute_errors / self.attributes_compared

    def as_dict(self) -> dict[str, Any]:
        """The API's score fields, plus the ``attribute_errors`` extension."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "class_errors": self.class_errors,
            "precision": self.precision,
            "recall": self.recall,
            "accuracy": self.accuracy,
            "mean_iou": self.mean_iou,
            "matches": [match.as_dict() for match in self.matches],
            "attribute_errors": self.attribute_errors,
        }


def score_item(
    gold: Sequence[Shape],
    candidate: Sequence[Shape],
    *,
    labels: Sequence[Label],
    default_thresholds: Mapping[str, float] | None = None,
    polyline_tolerance: float = DEFAULT_POLYLINE_TOLERANCE,
) -> ItemScore:
    """Compare one item's candidate shapes with its gold shapes.

    Shapes are compared within their kind only. A gold shape's threshold is its label's
    ``threshold``, else ``default_thresholds[kind]``, else 0.5 (labels missing from the schema
    take the kind's default). See ``docs/scoring.md`` for the matching rule.
    """
    by_name = {label["name"]: label for label in labels}
    thresholds = {kind: DEFAULT_THRESHOLD for kind in KINDS} | dict(default_thresholds or {})
    matches: list[Match] = []
    for kind in sorted({shape["kind"] for shape in [*gold, *candidate]}, key=_kind_order):
        gold_of_kind = _in_order(shape for shape in gold if shape["kind"] == kind)
        candidate_of_kind = _in_order(shape for shape in candidate if shape["kind"] == kind)
        if kind == "tag":
            matches += _match_tags(gold_of_kind, candidate_of_kind, by_name)
        else:
            matches += _match_kind(
                kind,
                gold_of_kind,
                candidate_of_kind,
                by_name=by_name,
                default_threshold=thresholds.get(kind, DEFAULT_THRESHOLD),
                polyline_tolerance=polyline_tolerance,
            )
    return _summarise(matches)


def _kind_order(kind: str) -> tuple[int, str]:
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), kind)


def _in_order(shapes: Iterable[Shape]) -> list[Shape]:
    """Shapes sorted by id, so that the assignment, and so every tie, ignores input order."""
    # The full repr breaks ties between duplicate ids, which validated documents never have.
    return sorted(shapes, key=lambda shape: (str(shape.get("id")), repr(sorted(shape.items()))))


def _match_kind(
    kind: str,
    gold: list[Shape],
    candidates: list[Shape],
    *,
    by_name: Mapping[str, Label],
    default_threshold: float,
    polyline_tolerance: float,
) -> list[Match]:
    gold_labels = [by_name.get(shape["label"]) for shape in gold]
    similarity = similarity_matrix(
        kind, gold, candidates, gold_labels=gold_labels, polyline_tolerance=polyline_tolerance
    )
    thresholds = np.array(
        [label_number(label, "threshold", default_threshold) for label in gold_labels]
    )
    same_class = _same_class(gold, candidates)
    pairs = [
        (row, col, float(similarity[row, col]))
        for row, col in optimal_pairs(similarity, same_class, thresholds)
    ]
    return _outcomes(kind, gold, candidates, pairs, by_name)


def _same_class(gold: Sequence[Shape], candidates: Sequence[Shape]) -> NDArray[np.bool_]:
    """Whether each pair shares a label; labels become integers so that this is one comparison."""
    codes: dict[str, int] = {}
    gold_codes = np.array([codes.setdefault(shape["label"], len(codes)) for shape in gold])
    candidate_codes = np.array(
        [codes.setdefault(shape["label"], len(codes)) for shape in candidates]
    )
    same: NDArray[np.bool_] = gold_codes[:, None] == candidate_codes[None, :]
    return same


def optimal_pairs(
    similarity: NDArray[np.float64], same_class: NDArray[np.bool_], thresholds: NDArray[np.float64]
) -> list[tuple[int, int]]:
    """The (gold row, candidate column) pairs of the optimal assignment that count.

    A pair counts when its similarity reaches the gold row's threshold. Among all assignments
    the chosen one has (1) the most counting pairs, then (2) the most same-class pairs among
    them, then (3) the largest total similarity. The weights make this order strict: with k the
    most pairs possible, (3) moves the cost by at most k, (2) by k + 1 per pair and (1) by
    (k + 1)^2 per pair, which exceeds any change of (2) and (3) together.
    """
    if similarity.size == 0:
        return []
    most_pairs = min(similarity.shape)
    class_weight = most_pairs + 1.0
    miss_weight = class_weight * class_weight
    counts = similarity >= thresholds[:, None]
    # The integer parts of the cost are exact in floating point, so the counts never depend on
    # rounding; only ties in total similarity finer than ~1e-7 could (for 1,000+ shapes).
    cost = (1.0 - similarity) + class_weight * ~same_class + miss_weight * ~counts
    rows, cols = linear_sum_assignment(cost)
    return [(int(row), int(col)) for row, col in zip(rows, cols, strict=True) if counts[row, col]]


def _outcomes(
    kind: str,
    gold: list[Shape],
    candidates: list[Shape],
    pairs: list[tuple[int, int, float]],
    by_name: Mapping[str, Label],
) -> list[Match]:
    """Every gold and candidate shape exactly once: in a pair, else as an FN or an FP."""
    matches = [
        _pair(kind, gold[row], candidates[col], similarity, by_name.get(gold[row]["label"]))
        for row, col, similarity in pairs
    ]
    paired_gold = {row for row, _, _ in pairs}
    paired_candidates = {col for _, col, _ in pairs}
    matches += [_lone(kind, shape, "fn") for i, shape in enumerate(gold) if i not in paired_gold]
    matches += [
        _lone(kind, shape, "fp") for i, shape in enumerate(candidates) if i not in paired_candidates
    ]
    return matches


def _pair(
    kind: str, gold: Shape, candidate: Shape, similarity: float, label: Label | None
) -> Match:
    same_class = gold["label"] == candidate["label"]
    match = Match(
        gold_id=gold.get("id"),
        candidate_id=candidate.get("id"),
        gold_label=gold["label"],
        candidate_label=candidate["label"],
        kind=kind,
        similarity=similarity,
        outcome="tp" if same_class else "class_error",
    )
    if not same_class:
        return match
    return replace(
        match,
        differing_attributes=tuple(differing_attributes(gold, candidate, label)),
        attributes_compared=len(compared_attributes(gold, label)),
    )


def _lone(kind: str, shape: Shape, outcome: Outcome) -> Match:
    gold_side = outcome == "fn"
    return Match(
        gold_id=shape.get("id") if gold_side else None,
        candidate_id=None if gold_side else shape.get("id"),
        gold_label=shape["label"] if gold_side else None,
        candidate_label=None if gold_side else shape["label"],
        kind=kind,
        similarity=None,
        outcome=outcome,
    )


def compared_attributes(gold: Shape, label: Label | None) -> list[str]:
    """The attribute names a TP pair is judged on: the label's attributes, else the gold's own."""
    if label is not None and label.get("attributes"):
        return [attribute["name"] for attribute in label["attributes"]]
    return sorted(gold.get("attributes") or {})


def differing_attributes(gold: Shape, candidate: Shape, label: Label | None) -> list[str]:
    """Compared attributes whose values differ; an unset value counts as the label's default."""
    defaults = {
        attribute["name"]: attribute.get("default")
        for attribute in (label or {}).get("attributes") or []
    }
    gold_values = defaults | dict(gold.get("attributes") or {})
    candidate_values = defaults | dict(candidate.get("attributes") or {})
    return [
        name
        for name in compared_attributes(gold, label)
        if gold_values.get(name) != candidate_values.get(name)
    ]


def _match_tags(
    gold: list[Shape], candidates: list[Shape], by_name: Mapping[str, Label]
) -> list[Match]:
    """Tags compare as sets of label names: a shared name is a TP (similarity 1), never a class
    error. Should a name repeat, its tags pair in id order."""
    pairs: list[tuple[int, int, float]] = []
    free = list(range(len(candidates)))
    for row, shape in enumerate(gold):
        col = next((col for col in free if candidates[col]["label"] == shape["label"]), None)
        if col is not None:
            free.remove(col)
            pairs.append((row, col, 1.0))
    return _outcomes("tag", gold, candidates, pairs, by_name)


def _summarise(matches: list[Match]) -> ItemScore:
    outcomes = [match.outcome for match in matches]
    # Tags have no geometry: their similarity of 1 would only flatter the mean.
    paired = [
        match.similarity
        for match in matches
        if match.similarity is not None and match.kind != "tag"
    ]
    return ItemScore(
        tp=outcomes.count("tp"),
        fp=outcomes.count("fp"),
        fn=outcomes.count("fn"),
        class_errors=outcomes.count("class_error"),
        matches=tuple(matches),
        mean_iou=sum(paired) / len(paired) if paired else None,
        attribute_errors=sum(len(match.differing_attributes) for match in matches),
        attributes_compared=sum(match.attributes_compared for match in matches),
    )
