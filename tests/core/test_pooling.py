"""Pooling the focuses' effects: inverse variance, widened when the focuses disagree."""

from __future__ import annotations

import pytest

from backplan.core.errors import InvalidLevel
from backplan.core.pooling import pool_effects


def test_one_focus_pools_to_itself() -> None:
    pooled = pool_effects([(0.10, 0.05, 0.15)])
    assert pooled is not None
    assert pooled.estimate == pytest.approx(0.10)
    assert (pooled.low, pooled.high) == (pytest.approx(0.05), pytest.approx(0.15))
    assert pooled.focuses == 1 and pooled.tau == 0


def test_agreeing_focuses_narrow_the_interval_toward_the_more_precise() -> None:
    pooled = pool_effects([(0.10, 0.08, 0.12), (0.06, 0.00, 0.12)])
    assert pooled is not None
    assert 0.06 < pooled.estimate < 0.10 and pooled.estimate > 0.09
    assert pooled.high - pooled.low < 0.04 and pooled.p_improved > 0.99


def test_disagreeing_focuses_widen_the_interval_rather_than_cancel() -> None:
    pooled = pool_effects([(0.30, 0.25, 0.35), (-0.30, -0.35, -0.25)])
    assert pooled is not None
    assert pooled.estimate == pytest.approx(0.0, abs=1e-9) and pooled.tau > 0.3
    assert pooled.high - pooled.low > 0.5 and pooled.p_improved == pytest.approx(0.5)


def test_nothing_to_pool_is_none_and_a_bad_level_is_refused() -> None:
    assert pool_effects([]) is None
    with pytest.raises(InvalidLevel):
        pool_effects([(0.1, 0.0, 0.2)], level=0.3)
