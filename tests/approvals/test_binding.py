"""What an approval binds: each part of the plan, compared on its own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from migrations_manager.exceptions import PlanRefused
from migrations_manager.services.approvals import BoundPlan, refuse_unapproved

APPROVED = BoundPlan(
    target_key="7301/app/public.pgmigrations",
    files=(("001_a.sql", "a" * 64), ("002_b.sql", "b" * 64)),
    segments=(("atomic", ("001_a.sql", "002_b.sql")),),
    applied=("000_base.sql",),
)


def test_the_same_plan_passes():
    refuse_unapproved(APPROVED, replace(APPROVED, request_id=3))


@pytest.mark.parametrize(
    "changed, details",
    [
        ({"target_key": "7302/app/public.pgmigrations"}, {"target": True}),
        ({"segments": (("atomic", ("001_a.sql",)), ("none", ("002_b.sql",)))}, {"segments": True}),
        ({"applied": ()}, {"applied": ["000_base.sql"]}),
        (
            {"files": (("001_a.sql", "a" * 64), ("002_b.sql", "c" * 64))},
            {"files": ["002_b.sql"]},
        ),
    ],
    ids=["target", "segments", "applied", "hash"],
)
def test_any_difference_refuses_saying_what(changed, details):
    with pytest.raises(PlanRefused) as refused:
        refuse_unapproved(APPROVED, replace(APPROVED, **changed))
    assert refused.value.kind == "approval" and refused.value.details == details
