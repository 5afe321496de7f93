"""The plan: its types (model), its computation (compute). Views live in render/."""

from reconciler.plan.compute import compute_plan
from reconciler.plan.model import (
    FORMAT_VERSION,
    SENSITIVE,
    Action,
    Change,
    DriftItem,
    FieldDiff,
    Plan,
    PlanDiagnostic,
    Risk,
)

__all__ = [
    "FORMAT_VERSION",
    "SENSITIVE",
    "Action",
    "Change",
    "DriftItem",
    "FieldDiff",
    "Plan",
    "PlanDiagnostic",
    "Risk",
    "compute_plan",
]
