"""Policies, the pure rules: when a quote may be bound, how a policy (and a quote) is numbered, who may
approve a referred quote. Plain data in, an exception of :mod:`quoting.errors` out."""

from quoting.policies._binding import (
    BindFacts,
    check_approval,
    check_bindable,
    policy_number,
    quote_number,
)

__all__ = ["BindFacts", "check_approval", "check_bindable", "policy_number", "quote_number"]
