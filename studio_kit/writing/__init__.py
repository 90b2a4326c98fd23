"""Writing engine: scripts in the store, versions and (later) LLM-assisted writing, shots, boards."""
