"""Character engine: characters as assets — bible, versions, identity lock, sheets, consistency."""
