"""The organisation: a tree of units per province, their names, people, roles and delegations."""
