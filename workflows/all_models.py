"""Every domain model module, imported so the shared metadata (and Alembic) sees all tables."""

from workflows.cascade import models as cascade_models
from workflows.indicators import models as indicator_models
from workflows.org import models as org_models
from workflows.plans import models as plan_models
from workflows.tracking import models as tracking_models

__all__ = ["cascade_models", "indicator_models", "org_models", "plan_models", "tracking_models"]
