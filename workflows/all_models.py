"""Every domain model module, imported so the shared metadata (and Alembic) sees all tables."""

from workflows.indicators import models as indicator_models
from workflows.org import models as org_models
from workflows.plans import models as plan_models

__all__ = ["indicator_models", "org_models", "plan_models"]
