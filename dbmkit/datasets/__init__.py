"""Data sets: the synthetic retailer (with ground truth) and the bundled real data (CDNOW, Complete Journey)."""
from .real import cdnow, cdnow_summary, complete_journey  # noqa: F401  (bundled real data, data/README.md)
from .retailer import CAMPAIGN_PLAN, TRUE_PARAMS, SyntheticRetailer, synthetic
from .simulate import SimulatedCampaign, simulate_campaign  # noqa: F401  (results of a planned campaign, chapter 40)
from .truth import person_map, truth_future, truth_people, truth_person_map  # noqa: F401  (truth ↔ database)

__all__ = ["synthetic", "SyntheticRetailer", "TRUE_PARAMS", "CAMPAIGN_PLAN"]
