"""Components the stack composes (one concern each)."""
