"""The accumulation book rebuilt from the policies themselves: each policy's exposure rows
made again from its newest version (for policies bound before the book existed, or
whose rows predate endorsements updating them)."""

from __future__ import annotations

from dataclasses import dataclass

from quoting.services._context import Context
from quoting.services.endorsements import _state, segment_place
from quoting.services.exposure import exposure_rows, require_underwriter, version_exposure_rows
from quoting.store import UnitOfWorkFactory
from quoting.tariff.registry import registry_for

__all__ = ["RebuiltExposure", "rebuild_exposure"]

_PAGE = 200


@dataclass(frozen=True, slots=True)
class RebuiltExposure:
    """How many policies' exposure rows were written, and how many rows in all."""

    policies: int
    rows: int


def rebuild_exposure(uow: UnitOfWorkFactory, ctx: Context) -> RebuiltExposure:
    """Replace every bound policy's exposure rows by those of its newest version
    (members by segment: country, site, period of cover; a policy insuring a headcount
    grid keeps its rows as bound). One transaction per policy, holding the policy's row
    so that no endorsement interleaves; running it again changes nothing. Underwriters,
    admins and the insurer's own tools only."""
    require_underwriter(ctx, "Rebuilding the book's exposure")
    ids: list[str] = []
    with uow() as work:
        offset = 0
        while True:
            page, total = work.policies.find(None, _PAGE, offset)
            ids += [policy.id for policy, _ in page]
            offset += _PAGE
            if offset >= total or not page:
                break
    registry = registry_for(ctx.tariff_root)
    written = 0
    for policy_id in ids:
        with uow() as work:
            work.endorsements.lock_policy(policy_id)
            state = _state(work, ctx, policy_id)
            if state.request.census.members is None:
                rows = exposure_rows(state.quote_row, policy_id)
            else:
                tariff = registry.by_hash(state.quote.tariff.hash)
                rows = version_exposure_rows(
                    state.quote_row, policy_id, state.members, segment_place(state, tariff)
                )
            work.exposures.replace(policy_id, rows)
            work.commit()
        written += len(rows)
    return RebuiltExposure(len(ids), written)
