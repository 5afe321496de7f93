"""Resource kinds: everything specific to one collection, one module each, plus a registry."""
