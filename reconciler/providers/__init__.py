"""Providers: all I/O with Autotask and Salesbuildr. The engine sees only providers.base."""
