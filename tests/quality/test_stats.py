"""The accuracy posterior and pooling: exact values from closed forms and from scipy itself."""

import pytest
from scipy.stats import beta

from quality.scoring import ItemScore
from quality.stats import AccuracyPosterior, pool_scores


def item(tp: int, fp: int = 0, fn: int = 0, class_errors: int = 0) -> ItemScore:
    return ItemScore(tp=tp, fp=fp, fn=fn, class_errors=class_errors, matches=(), mean_iou=None)


def test_no_evidence_is_the_uniform_prior() -> None:
    posterior = AccuracyPosterior.from_counts(tp=0, errors=0)

    assert (posterior.alpha, posterior.beta) == (1.0, 1.0)
    assert posterior.mean == 0.5
    assert posterior.interval() == pytest.approx((0.025, 0.975), abs=1e-12)
    assert posterior.prob_below(0.3) == pytest.approx(0.3, abs=1e-12)


def test_only_correct_outcomes_follow_the_closed_form_of_beta_n_plus_one_one() -> None:
    # Beta(10, 1) has cdf x^10, hence ppf q^(1/10).
    posterior = AccuracyPosterior.from_counts(tp=9, errors=0)

    assert posterior.mean == pytest.approx(10 / 11, abs=1e-15)
    assert posterior.prob_below(0.8) == pytest.approx(0.8**10, abs=1e-12)
    assert posterior.interval() == pytest.approx((0.025 ** (1 / 10), 0.975 ** (1 / 10)), abs=1e-12)


def test_only_errors_follow_the_closed_form_of_beta_one_n_plus_one() -> None:
    # Beta(1, 5) has cdf 1 - (1 - x)^5.
    posterior = AccuracyPosterior.from_counts(tp=0, errors=4)

    assert posterior.mean == pytest.approx(1 / 6, abs=1e-15)
    assert posterior.prob_below(0.2) == pytest.approx(1 - 0.8**5, abs=1e-12)


def test_posterior_figures_are_scipys_beta_with_one_added_to_each_count() -> None:
    posterior = AccuracyPosterior.from_counts(tp=30, errors=12)

    assert posterior.mean == pytest.approx(31 / 44, abs=1e-15)
    assert posterior.interval(0.9) == pytest.approx(
        (beta.ppf(0.05, 31, 13), beta.ppf(0.95, 31, 13)), abs=1e-12
    )
    assert posterior.prob_below(0.75) == pytest.approx(beta.cdf(0.75, 31, 13), abs=1e-12)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        AccuracyPosterior.from_counts(tp=-1, errors=0)


def test_a_clearly_poor_annotator_is_paused_only_after_the_minimum_gold_items() -> None:
    # 5 right of 25: P(a < 0.8) is 1 - 1e-9 or so.
    posterior = AccuracyPosterior.from_counts(tp=5, errors=20)

    assert posterior.prob_below(0.8) > 0.999
    assert not posterior.should_pause(threshold=0.8, gold_items=19)
    assert posterior.should_pause(threshold=0.8, gold_items=20)
    assert posterior.should_pause(threshold=0.8, gold_items=5, min_items=5)


def test_pause_needs_more_than_95_percent_confidence() -> None:
    # Beta(1, n + 1): P(a < t) = 1 - (1 - t)^(n + 1); t = 0.5, n = 3 gives 0.9375, n = 4 0.96875.
    unsure = AccuracyPosterior.from_counts(tp=0, errors=3)
    sure = AccuracyPosterior.from_counts(tp=0, errors=4)

    assert unsure.prob_below(0.5) == pytest.approx(0.9375, abs=1e-12)
    assert not unsure.should_pause(threshold=0.5, gold_items=1, min_items=1)
    assert sure.should_pause(threshold=0.5, gold_items=1, min_items=1)


def test_a_good_annotator_is_not_paused() -> None:
    posterior = AccuracyPosterior.from_counts(tp=95, errors=5)

    assert not posterior.should_pause(threshold=0.8, gold_items=40)


def test_pooling_sums_outcomes_over_items() -> None:
    pooled = pool_scores([item(3, fp=1), item(0, fn=2), item(5, class_errors=1)])

    assert (pooled.items, pooled.tp, pooled.fp, pooled.fn, pooled.class_errors) == (3, 8, 1, 2, 1)
    assert pooled.errors == 4
    assert pooled.accuracy == 8 / 12
    assert pooled.posterior == AccuracyPosterior(alpha=9.0, beta=5.0)


def test_pooling_nothing_gives_the_prior_and_a_vacuous_accuracy() -> None:
    pooled = pool_scores([])

    assert (pooled.items, pooled.tp, pooled.errors) == (0, 0, 0)
    assert pooled.accuracy == 1.0
    assert pooled.posterior == AccuracyPosterior(alpha=1.0, beta=1.0)
