"""The steps Loupe ships; importing this package registers them in `default_registry`."""

from pipelines.builtin import activity, image_stats, label_stats, phash, tag_classifier, thumbnail
from pipelines.builtin.predict import OnnxDetector, Predictor, predictor_step

#: The `default` pipeline: every built-in step that needs no model of the user's.
DEFAULT_PIPELINE = (
    "image_stats",
    "phash",
    "near_duplicates",
    "label_stats",
    "thumbnail",
    "tag_classifier",
    "annotator_activity",
)
PIPELINES = {"default": DEFAULT_PIPELINE}

__all__ = [
    "DEFAULT_PIPELINE",
    "PIPELINES",
    "OnnxDetector",
    "Predictor",
    "activity",
    "image_stats",
    "label_stats",
    "phash",
    "predictor_step",
    "tag_classifier",
    "thumbnail",
]
