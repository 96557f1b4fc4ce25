"""Policies, the pure rules: when a quote may be bound, how a policy (and a quote) is
numbered, who may approve a referred quote, endorsements (policy versions, what a change
does, refunds), cancellation and claims experience. Plain data in, an exception of :mod:`quoting.errors` out."""

from quoting.policies._binding import (
    BindFacts,
    check_approval,
    check_bindable,
    policy_number,
    quote_number,
)
from quoting.policies._cancellation import (
    Initiator,
    SegmentRefund,
    cancellation_refunds,
    check_cancellation,
    refund_share,
)
from quoting.policies._claims import check_claims, check_correction, earned_cents, member_days
from quoting.policies._endorsements import (
    EndorsementPlan,
    Joining,
    Leaving,
    check_endorsement_approval,
    endorsement_number,
    in_force,
    plan_endorsement,
    priced_segment,
    refund,
    version_one,
    version_total_cents,
)

__all__ = [
    "BindFacts",
    "EndorsementPlan",
    "Initiator",
    "Joining",
    "Leaving",
    "SegmentRefund",
    "cancellation_refunds",
    "check_approval",
    "check_bindable",
    "check_cancellation",
    "check_claims",
    "check_correction",
    "check_endorsement_approval",
    "earned_cents",
    "endorsement_number",
    "in_force",
    "member_days",
    "plan_endorsement",
    "policy_number",
    "priced_segment",
    "quote_number",
    "refund",
    "refund_share",
    "version_one",
    "version_total_cents",
]
