"""Production management: people and roles, permissions, assets and versions, tasks, reviews, audit log."""
