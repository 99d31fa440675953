"""Every domain model module, imported so the shared metadata (and Alembic) sees all tables."""

from workflows.accounts import models as account_models
from workflows.calendar import models as calendar_models
from workflows.cascade import models as cascade_models
from workflows.escalation import models as escalation_models
from workflows.inbox_views import models as inbox_view_models
from workflows.indicators import models as indicator_models
from workflows.org import models as org_models
from workflows.plans import models as plan_models
from workflows.reports import models as report_models
from workflows.tracking import models as tracking_models

__all__ = [
    "account_models", "calendar_models", "cascade_models", "escalation_models", "inbox_view_models", "indicator_models",
    "org_models", "plan_models", "report_models", "tracking_models",
]
