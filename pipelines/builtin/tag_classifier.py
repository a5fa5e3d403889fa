"""A tag classifier on image statistics, trained on the version's accepted tags.

Items whose accepted annotation carries tag shapes are the training set; every other item gets a
probability per tag. One logistic regression per tag (tag present or not), on standardised
features, with a fixed random state: the same version always yields the same probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipelines.inputs import DatasetInputs
from pipelines.steps import step

FEATURES = ("brightness", "contrast", "blur", "entropy")
DECIMALS = 6
MIN_TRAINING_ITEMS = 2


def feature_vector(stats: Mapping[str, float]) -> list[float]:
    # Laplacian variance spans orders of magnitude; its log keeps it comparable to the rest.
    return [
        float(stats["brightness"]),
        float(stats["contrast"]),
        math.log1p(float(stats["blur"])),
        float(stats["entropy"]),
    ]


def classify_tags(
    features: Mapping[str, Sequence[float]],
    tags_by_item: Mapping[str, Sequence[str]],
    targets: Sequence[str],
) -> dict[str, Any]:
    """Probabilities per tag for `targets`, learned from the tagged items' features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    tags = sorted({tag for item_tags in tags_by_item.values() for tag in item_tags})
    training = sorted(tags_by_item)
    result: dict[str, Any] = {
        "tags": tags,
        "features": list(FEATURES),
        "trained_on": len(training),
        "predictions": {},
    }
    if len(training) < MIN_TRAINING_ITEMS or not tags or not targets:
        return result
    scaler = StandardScaler().fit(np.array([features[item_id] for item_id in training]))
    train_matrix = scaler.transform(np.array([features[item_id] for item_id in training]))
    target_ids = sorted(targets)
    target_matrix = scaler.transform(np.array([features[item_id] for item_id in target_ids]))
    probabilities: dict[str, list[float]] = {}
    for tag in tags:
        present = np.array([tag in tags_by_item[item_id] for item_id in training])
        if present.all() or not present.any():
            # One class only: nothing to separate, the training frequency is the answer.
            probabilities[tag] = [float(present[0])] * len(target_ids)
            continue
        model = LogisticRegression(random_state=0, max_iter=1000)
        model.fit(train_matrix, present)
        probabilities[tag] = model.predict_proba(target_matrix)[:, 1].tolist()
    for row, item_id in enumerate(target_ids):
        by_tag = {tag: round(probabilities[tag][row], DECIMALS) for tag in tags}
        top = min(tags, key=lambda tag: (-by_tag[tag], tag))  # ties: the first name
        result["predictions"][item_id] = {"probabilities": by_tag, "top": top}
    return result


@step(name="tag_classifier", version=1, inputs=("image_stats", "annotation"), granularity="dataset")
def tag_classifier(inputs: DatasetInputs) -> dict[str, Any]:
    stats = inputs.upstream("image_stats")
    tags_by_item: dict[str, list[str]] = {}
    targets: list[str] = []
    for item in inputs.items:
        tags = sorted({s["label"] for s in inputs.shapes(item) if s.get("kind") == "tag"})
        if tags:
            tags_by_item[item.item_id] = tags
        else:
            targets.append(item.item_id)
    features = {item.item_id: feature_vector(stats[item.item_id]) for item in inputs.items}
    return classify_tags(features, tags_by_item, targets)
