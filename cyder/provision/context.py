"""Moved to cyder/services/context.py (the service kinds build on it, and provision imports them)."""

from ..services.context import HostPlan, RangeContext, ServicePlan, banner_check, banner_free_check

__all__ = ["HostPlan", "RangeContext", "ServicePlan", "banner_check", "banner_free_check"]
