"""The worker's HTTP views: /metrics for Prometheus, /health for probes, /projects/{id} for people."""

from __future__ import annotations

from typing import Any

import orjson
from faust import web

from app import metrics
from app.faust_app import Runtime
from domain.ledger import financials
from tables.project_ledgers import ProjectLedgers


def register(runtime: Runtime, ledgers: ProjectLedgers) -> None:
    """Register the worker's views on its web server."""
    app = runtime.app

    @app.page("/metrics")
    async def metrics_view(view: web.View, request: web.Request) -> web.Response:
        return view.bytes(metrics.render(), content_type=metrics.CONTENT_TYPE)

    @app.page("/health")
    async def health_view(view: web.View, request: web.Request) -> web.Response:
        # Ready means: assigned partitions, tables recovered, not in the middle of a rebalance.
        recovery: Any = getattr(app.tables, "recovery", None)
        ready = bool(recovery is not None and recovery.completed.is_set() and not app.rebalancing)
        assigned = sorted(f"{tp.topic}:{tp.partition}" for tp in app.consumer.assignment())
        body = {"ready": ready, "assigned": assigned}
        return view.bytes(orjson.dumps(body), content_type="application/json", status=200 if ready else 503)

    @app.page("/projects/{project_id}")
    @app.table_route(table=ledgers.table, match_info="project_id")
    async def project_view(view: web.View, request: web.Request, project_id: str) -> web.Response:
        ledger = ledgers.get(project_id)
        if ledger is None or ledger.contract is None:
            return view.bytes(
                orjson.dumps({"error": "unknown project", "project_id": project_id}),
                content_type="application/json",
                status=404,
            )
        body: Any = financials(ledger).model_dump(mode="json")
        return view.bytes(orjson.dumps(body), content_type="application/json")
