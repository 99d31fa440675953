"""The domain: the Vietnamese education administration as data, on top of the engine."""

from workflows import messages as _messages  # noqa: F401  (registers the domain's messages)
