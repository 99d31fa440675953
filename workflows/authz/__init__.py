"""Authorization: who may do what (``rules``, pure), reads scoped by the same rules (``scope``),
the facts the rules need loaded from the database (``facts``), and refusals recorded as security
events (``refusals``). The step → action table the action layer shares is ``steps``.
"""
