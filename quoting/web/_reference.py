"""Tariff and country reference data, and the health check."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from quoting import __version__
from quoting.settings import Settings
from quoting.store import Database
from quoting.tariff.registry import tariff_in_force
from quoting.web._auth import requires_role
from quoting.web._examples import example
from quoting.web._openapi import ApiOperation
from quoting.web._quotes import ERRORS
from quoting.web._ratelimit import RateLimiter
from quoting.web._schemas import (
    CountryInfo,
    DependencyStatus,
    HealthDependencies,
    HealthStatus,
    TariffInfo,
)

__all__ = ["ReferenceController", "health"]


class ReferenceController(Controller):
    path = "/api/v1"
    tags = ["Reference data"]
    guards = [requires_role("broker", "agent", "underwriter", "admin")]

    @get(
        "/tariffs/current",
        operation_id="getCurrentTariff",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=TariffInfo,
                description="The tariff in force",
                examples=example("tariff", "Tariff 2026.2"),
                generate_examples=False,
            ),
            **ERRORS,
        },
        summary="The tariff in force today",
        description="Version, effective date and content hash (recorded on every quote), quote "
        "validity and the FX rates used for USD quotes.",
        sync_to_thread=True,
    )
    def current_tariff(self, settings: NamedDependency[Settings]) -> TariffInfo:
        tariff = tariff_in_force(settings.clock.today(), settings.tariff_root)
        p = tariff.params
        return TariffInfo(
            version=tariff.version,
            effective_date=tariff.effective_date,
            hash=tariff.content_hash,
            base_currency=p.tariff.base_currency,
            quote_validity_days=p.tariff.quote_validity_days,
            fx_as_of=p.fx.as_of,
            fx={"USD": p.fx.USD},
        )

    @get(
        "/countries",
        operation_id="listCountries",
        operation_class=ApiOperation,
        responses={
            200: ResponseSpec(
                data_container=list[CountryInfo],
                description="All 249 countries and territories",
                examples=example("countries", "Two of the 249"),
                generate_examples=False,
            ),
            **ERRORS,
        },
        summary="Countries of the tariff in force",
        description="Every ISO 3166-1 country and territory with English and Chinese names, "
        "risk tier (1–5) and status: `accept`, `refer` (needs an underwriter) or `decline`.",
        sync_to_thread=True,
    )
    def countries(self, settings: NamedDependency[Settings]) -> list[CountryInfo]:
        tariff = tariff_in_force(settings.clock.today(), settings.tariff_root)
        return [
            CountryInfo(
                code=c.code,
                alpha3=c.alpha3,
                name_en=c.name_en,
                name_zh=c.name_zh,
                tier=c.tier,
                status=c.status,  # type: ignore[arg-type]
            )
            for c in tariff.countries
        ]


@get(
    "/health",
    operation_id="health",
    operation_class=ApiOperation,
    security=[{}],
    responses={
        200: ResponseSpec(
            data_container=HealthStatus,
            description="Serving: database answering; `status` is `degraded` when the "
            "rate-limit store (Redis) is not answering and limits are counted in-process",
            examples=example("health", "Healthy") + example("health-degraded", "Redis down"),
            generate_examples=False,
        ),
        503: ResponseSpec(data_container=HealthStatus, description="Database not answering"),
    },
    summary="Health check",
    description="No authentication. Lists each dependency: `database` (`ok` or `down`) and "
    "`rate_limit_store` (`ok` with `redis` or `in-process`, or `degraded` when Redis is "
    "configured but not answering). 200 while the database answers, 503 otherwise.",
    tags=["Health"],
    exclude_from_auth=True,
)
async def health(
    request: Request[Any, Any, Any], database: NamedDependency[Database]
) -> Response[HealthStatus]:
    """The state of each dependency; 503 only when the database is down."""
    answers = await anyio.to_thread.run_sync(database.ping)
    limiter: RateLimiter = request.app.state.rate_limiter
    limits = await limiter.check()
    if limits == "degraded":
        limits_status = DependencyStatus("degraded", "Redis not answering; counting in-process")
    else:
        limits_status = DependencyStatus("ok", limits)
    dependencies = HealthDependencies(
        database=DependencyStatus(
            "ok" if answers else "down",
            ("sqlite" if database.is_sqlite else "postgresql") if answers else "not answering",
        ),
        rate_limit_store=limits_status,
    )
    body = HealthStatus(
        status="unavailable" if not answers else "degraded" if limits == "degraded" else "ok",
        database=answers,
        version=__version__,
        dependencies=dependencies,
    )
    return Response(body, status_code=200 if answers else 503)
