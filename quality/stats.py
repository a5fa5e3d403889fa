"""An annotator's accuracy over their gold items, with its uncertainty (pure Python, no Django).

Agreed definitions (``DESIGN.md``, "Quality statistics"): accuracy a = TP / (TP + CE + FP + FN)
pooled over the annotator's gold items; its uncertainty is the Beta(1 + TP, 1 + CE + FP + FN)
posterior (a uniform prior updated by every shape outcome); intervals are equal-tailed 95%
credible intervals; pause when P(a < threshold) > 0.95 after at least ``min_items`` gold items.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from scipy.stats import beta

from quality.scoring import Counts, ItemScore

PAUSE_CONFIDENCE = 0.95
DEFAULT_MIN_GOLD_ITEMS = 20


@dataclass(frozen=True)
class AccuracyPosterior:
    """Beta(``alpha``, ``beta``) belief about an annotator's accuracy."""

    alpha: float
    beta: float

    @classmethod
    def from_counts(cls, tp: int, errors: int) -> "AccuracyPosterior":
        """Posterior after ``tp`` correct outcomes and ``errors`` = CE + FP + FN wrong ones."""
        if tp < 0 or errors < 0:
            raise ValueError(f"Counts cannot be negative (tp={tp}, errors={errors}).")
        return cls(alpha=1.0 + tp, beta=1.0 + errors)

    @property
    def mean(self) -> float:
        """Posterior mean (1 + TP) / (2 + TP + errors): 0.5 before any evidence."""
        return self.alpha / (self.alpha + self.beta)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """The equal-tailed credible interval: (1 - level) / 2 of the belief lies on each side."""
        tail = (1.0 - level) / 2.0
        low, high = beta.ppf([tail, 1.0 - tail], self.alpha, self.beta)
        return float(low), float(high)

    def prob_below(self, threshold: float) -> float:
        """P(accuracy < threshold) under the posterior."""
        return float(beta.cdf(threshold, self.alpha, self.beta))

    def should_pause(
        self, *, threshold: float, gold_items: int, min_items: int = DEFAULT_MIN_GOLD_ITEMS
    ) -> bool:
        """Pause once ``min_items`` gold items are scored and P(a < threshold) > 0.95.

        The minimum keeps one bad first image from pausing anyone: early posteriors are wide.
        """
        return gold_items >= min_items and self.prob_below(threshold) > PAUSE_CONFIDENCE


@dataclass(frozen=True)
class PooledScore(Counts):
    """Counts summed over several items' scores, with how many items they came from."""

    items: int = 0
    attribute_errors: int = 0
    attributes_compared: int = 0

    @property
    def posterior(self) -> AccuracyPosterior:
        return AccuracyPosterior.from_counts(self.tp, self.errors)


def pool_scores(scores: Iterable[ItemScore]) -> PooledScore:
    """Sum item scores; outcomes pool (a 100-shape item weighs more than a 1-shape item)."""
    pooled = PooledScore(tp=0, fp=0, fn=0, class_errors=0)
    for score in scores:
        pooled = PooledScore(
            tp=pooled.tp + score.tp,
            fp=pooled.fp + score.fp,
            fn=pooled.fn + score.fn,
            class_errors=pooled.class_errors + score.class_errors,
            items=pooled.items + 1,
            attribute_errors=pooled.attribute_errors + score.attribute_errors,
            attributes_compared=pooled.attributes_compared + score.attributes_compared,
        )
    return pooled
