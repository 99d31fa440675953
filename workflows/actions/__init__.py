"""The action layer: one door for every user action (CLI, web app, API), no Flask.

``tasks`` — the actions on a human task; ``guard`` — the engine hook that refuses any other way
to complete one; ``inbox`` — a person's inbox and a task's detail, scoped by the same rules.
"""
