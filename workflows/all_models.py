"""Every domain model module, imported so the shared metadata (and Alembic) sees all tables."""

from workflows.org import models as org_models

__all__ = ["org_models"]
