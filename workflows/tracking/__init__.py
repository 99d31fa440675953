"""Following dispatched work: one ``tracking`` row per instance, its status, deadlines and its
children's counters, kept up to date by engine hooks (see ``workflows.tracking.follow``)."""
