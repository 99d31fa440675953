"""The process designer and the processes' versions: ``/processes`` (versions, who deployed them,
instances on each), ``/designer`` (the modeler: validate, deploy), ``/processes/<key>/diff``
(two versions compared) and ``/processes/<key>/migrate`` (move running instances)."""

from __future__ import annotations

from webui.designer.routes import bp

__all__ = ["bp"]
