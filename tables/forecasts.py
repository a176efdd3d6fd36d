"""Forecast tables: each resource's plan and actuals, each project's forecast inputs."""

from __future__ import annotations

import faust

from app.topics import PROJECT_PARTITIONS, RESOURCE_PARTITIONS
from domain.forecast import ProjectForecastState, ResourcePlan
from tables.json_table import JsonTable

ResourcePlans = JsonTable[ResourcePlan]
ProjectForecasts = JsonTable[ProjectForecastState]


def resource_plans(app: faust.App) -> ResourcePlans:
    """Declare the resource plan table, keyed by resource id."""
    return JsonTable(
        app, "resource-plans", ResourcePlan, RESOURCE_PARTITIONS, "Plan and actuals per resource."
    )


def project_forecasts(app: faust.App) -> ProjectForecasts:
    """Declare the project forecast table, keyed by project id."""
    return JsonTable(
        app, "project-forecasts", ProjectForecastState, PROJECT_PARTITIONS, "Forecast inputs per project."
    )
