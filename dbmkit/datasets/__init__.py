"""Data sets: the synthetic retailer (with ground truth) and the bundled real data (CDNOW, Complete Journey)."""
from .retailer import CAMPAIGN_PLAN, TRUE_PARAMS, SyntheticRetailer, synthetic

__all__ = ["synthetic", "SyntheticRetailer", "TRUE_PARAMS", "CAMPAIGN_PLAN"]
