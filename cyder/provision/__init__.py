"""Provisioning: the per-host plans a range backend hands to its hosts. Engine-independent."""

from ..services.context import HostPlan
from .plan import build_plans

__all__ = ["HostPlan", "build_plans"]
