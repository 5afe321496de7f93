"""reconcile: configuration-as-code for the Salesbuildr <-> Autotask PSA integration."""

__version__ = "0.1.0"
