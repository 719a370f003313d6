"""Provisioning: the per-host plans a range backend hands to its hosts. Engine-independent."""

from .plan import HostPlan, build_plans

__all__ = ["HostPlan", "build_plans"]
