"""Adoption commands: export (live settings as YAML) and drift."""
