"""Properties of working backwards that must hold for any rates and objective."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from backplan import Objective, Period, Rate, funnel, plan_backwards, run_forward
from backplan.core.period import FixedWorkingDays

OUTBOUND = funnel("outbound")
PERIOD = Period.month(2026, 12)
CALENDAR = FixedWorkingDays(21)

# Rates as people write them (0.07, 1/7) and as data gives them (floats).
exact_rates = st.fractions(min_value=Fraction(1, 200), max_value=1, max_denominator=1000)
float_rates = st.floats(min_value=0.005, max_value=1.0, allow_nan=False)
rates = st.one_of(exact_rates, float_rates).map(Rate)
rate_sheets = st.fixed_dictionaries(
    {c.key: rates for c in OUTBOUND.conversions()},
)
stages = st.sampled_from([s.key for s in OUTBOUND.stages[1:]])
targets = st.integers(min_value=1, max_value=500)


def plan_for(stage: str, target: int, sheet: dict[str, Rate]):
    return plan_backwards(Objective(stage, target, PERIOD), OUTBOUND, sheet, CALENDAR)


@given(stages, targets, rate_sheets)
def test_a_plan_run_forward_meets_its_objective(stage, target, sheet):
    plan = plan_for(stage, target, sheet)
    forward = run_forward(plan.top.per_period, OUTBOUND, sheet)
    assert forward[stage] >= target * (1 - 1e-9)


@given(stages, targets, rate_sheets)
def test_every_stage_of_a_plan_run_forward_meets_the_next(stage, target, sheet):
    plan = plan_for(stage, target, sheet)
    for upper, lower in zip(plan.stages, plan.stages[1:], strict=False):
        reached = run_forward(upper.per_period, OUTBOUND, sheet, start=upper.key)
        assert reached[lower.key] >= lower.per_period * (1 - 1e-9)


@given(stages, targets, rate_sheets, st.data(), st.floats(min_value=1.0, max_value=5.0))
def test_more_skill_never_needs_more_activity(stage, target, sheet, data, factor):
    conversion = data.draw(st.sampled_from(OUTBOUND.conversions(down_to=stage)))
    better = (
        sheet[conversion.key].improved(factor - 1, cap=1.0) if factor > 1 else sheet[conversion.key]
    )
    before = plan_for(stage, target, sheet)
    after = plan_for(stage, target, {**sheet, conversion.key: better})
    for old, new in zip(before.stages, after.stages, strict=True):
        assert new.per_period <= old.per_period


@given(stages, targets, rate_sheets, st.integers(min_value=2, max_value=20))
def test_scaling_the_objective_scales_the_plan_up_to_rounding(stage, target, sheet, k):
    single = plan_for(stage, target, sheet)
    scaled = plan_for(stage, k * target, sheet)
    for one, many in zip(single.stages, scaled.stages, strict=True):
        exact = Fraction(k * target)
        for c in OUTBOUND.conversions()[OUTBOUND.index(one.key) : OUTBOUND.index(stage)]:
            exact /= sheet[c.key].value
        # Never below the exact requirement, never above k times the rounded single plan.
        assert exact * (1 - Fraction(1, 10**8)) <= many.per_period <= k * one.per_period


@given(stages, targets, rate_sheets)
def test_plans_are_whole_units_and_daily_pace_has_one_decimal(stage, target, sheet):
    plan = plan_for(stage, target, sheet)
    for t in plan.stages:
        assert isinstance(t.per_period, int) and t.per_period >= 1
        assert t.per_working_day == round(t.per_period / 21, 1)
        assert t.per_week == round(t.per_period / (21 / 5), 1)


@given(stages, targets, rate_sheets, st.floats(min_value=0.05, max_value=0.5))
def test_a_plan_range_contains_the_plan(stage, target, sheet, spread):
    uncertain = {
        k: Rate(r.value, low=float(r.value) * (1 - spread), high=float(r.value) * (1 + spread))
        for k, r in sheet.items()
    }
    plan = plan_for(stage, target, uncertain)
    for t in plan.stages:
        assert t.low is not None and t.high is not None
        assert t.low <= t.per_period <= t.high
