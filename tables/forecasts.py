"""Forecast tables: each resource's plan and actuals, each project's forecast inputs."""

from __future__ import annotations

import faust

from app.contracts.topology import PROJECT_FORECASTS, RESOURCE_PLANS
from domain.forecast import ProjectForecastState, ResourcePlan
from tables.json_table import JsonTable

ResourcePlans = JsonTable[ResourcePlan]
ProjectForecasts = JsonTable[ProjectForecastState]


def resource_plans(app: faust.App) -> ResourcePlans:
    """Declare the resource plan table, keyed by resource id."""
    return JsonTable(app, RESOURCE_PLANS, ResourcePlan)


def project_forecasts(app: faust.App) -> ProjectForecasts:
    """Declare the project forecast table, keyed by project id."""
    return JsonTable(app, PROJECT_FORECASTS, ProjectForecastState)
