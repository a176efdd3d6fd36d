"""The worker's HTTP views: /metrics for Prometheus, /health for probes, /projects/{id} for people, and
/admin/log-level for an admin; each behind the checks of app.worker.web_guard."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from faust import web

from app.contracts.topics import partition_for
from app.faust_workarounds.introspection import paused_partitions, recovery_completed
from app.runtime import metrics
from app.runtime.runtime import Runtime
from app.security.authorization import Action
from app.security.operators import OperatorRegistry
from app.worker.web_guard import Guard, bearer, json_response
from domain.forecast import ForecastValue, current_figures, project_emitted, resource_forecast
from domain.ledger import Kind, ProjectTotals, financials
from tables.items import Tables
from tables.keyed import BatchState, KeyedTable, SubjectReader

log = logging.getLogger(__name__)
LOG_LEVELS = ("debug", "info", "warning", "error")


def register(runtime: Runtime, tables: Tables) -> None:
    """Register the worker's views on its web server."""
    app, settings = runtime.app, runtime.settings
    operators = OperatorRegistry.load(settings.operators_file) if settings.operators_file else None
    guard = Guard(operators, protect_reads=settings.web_reads == "protected")
    kafka = settings.kafka_security.describe()  # what the worker runs with, the password redacted

    @app.page("/metrics")
    @guard(None)
    async def metrics_view(view: web.View, request: web.Request) -> web.Response:
        return view.bytes(metrics.render(), content_type=metrics.CONTENT_TYPE)

    @app.page("/health")
    @guard(None)
    async def health_view(view: web.View, request: web.Request) -> web.Response:
        # Ready means: assigned partitions, tables recovered, not in the middle of a rebalance.
        ready = recovery_completed(app) and not app.rebalancing
        consumer: Any = app.consumer
        try:
            assigned = sorted(f"{tp.topic}:{tp.partition}" for tp in consumer.assignment())
        except Exception:  # the consumer is not started yet: not ready, and never a 500 for a probe
            assigned, ready = [], False
        paused = paused_partitions(consumer)
        body = {
            "ready": ready,
            "assigned": assigned,
            "paused": paused,
            "flow_active": consumer.flow_active,
            "kafka": kafka,
        }
        return json_response(view, body, status=200 if ready else 503)

    @app.page("/admin/log-level")
    class LogLevel(web.View):
        @guard(Action.SET_LOG_LEVEL)
        async def post(self, request: web.Request) -> web.Response:
            try:
                # The guard has bounded the body (Content-Length at most MAX_BODY, no chunked uploads).
                level = str(orjson.loads(await self.read_request_content(request))["level"]).lower()
            except (orjson.JSONDecodeError, KeyError, TypeError):
                level = ""
            if level not in LOG_LEVELS:
                return json_response(
                    self, {"error": f'send {{"level": one of {", ".join(LOG_LEVELS)}}}'}, 400
                )
            who = operators.identify(bearer(request)) if operators is not None else None
            logging.getLogger().setLevel(level.upper())
            log.warning("log level set to %s by %s", level, who.name if who else "?")
            return json_response(self, {"level": level})

    @app.page("/projects/{project_id}")
    @guard(Action.READ_STATE, key="project_id")
    @app.table_route(table=tables.ledger.table, match_info="project_id")
    async def project_view(view: web.View, request: web.Request, project_id: str) -> web.Response:
        totals = _committed(tables.ledger, project_id).get(Kind.TOTALS, "")
        if not isinstance(totals, ProjectTotals) or totals.contract is None:
            return _not_found(view, "project", project_id)
        # The forecast's table is partitioned like the ledger's: this worker owns the project's figures too.
        figures = current_figures(_committed(tables.forecast, project_id), project_id)
        return _json(view, financials(totals, figures).model_dump(mode="json"))

    @app.page("/resources/{resource_id}")
    @guard(Action.READ_STATE, key="resource_id")
    @app.table_route(table=tables.plans.table, match_info="resource_id")
    async def resource_view(view: web.View, request: web.Request, resource_id: str) -> web.Response:
        values = resource_forecast(_committed(tables.plans, resource_id), resource_id, runtime.forecast)
        if not values:
            return _not_found(view, "resource", resource_id)
        return _json(view, {"resource_id": resource_id, **_by_month(values)})

    @app.page("/projects/{project_id}/forecast")
    @guard(Action.READ_STATE, key="project_id")
    @app.table_route(table=tables.forecast.table, match_info="project_id")
    async def forecast_view(view: web.View, request: web.Request, project_id: str) -> web.Response:
        values = project_emitted(_committed(tables.forecast, project_id), project_id)
        if not values:
            return _not_found(view, "project", project_id)
        return _json(view, {"project_id": project_id, **_by_month(values)})


def _committed(table: KeyedTable, subject: str) -> SubjectReader:
    """Return a reader of a subject's committed items on this worker (the route sent us to its owner)."""
    return BatchState(table).reader(partition_for(subject, table.partitions), subject)


def _by_month(values: Mapping[str, ForecastValue]) -> dict[str, Any]:
    """Group metric values by month: {"months": {"2026-03": {"revenue": {"value": .., "unit": ..}}}}."""
    months: dict[str, dict[str, Any]] = {}
    for value in values.values():
        months.setdefault(value.period, {})[value.metric] = {"value": str(value.value), "unit": value.unit}
    return {"months": dict(sorted(months.items()))}


def _json(view: web.View, body: Any, status: int = 200) -> web.Response:
    return json_response(view, body, status)


def _not_found(view: web.View, kind: str, key: str) -> web.Response:
    return _json(view, {"error": f"unknown {kind}", "id": key}, status=404)
