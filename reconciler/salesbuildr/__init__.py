"""Salesbuildr: its client, its settings documents as live state, its rate window and jobs'
categories. Every PSA's pages are settings documents here; no PSA is imported."""
