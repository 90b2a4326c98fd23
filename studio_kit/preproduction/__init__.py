"""Pre-production engine: breakdown, stripboard and schedule, Day Out of Days, budgets, call sheets."""
