"""Autotask's kinds (the seven admin pages' resources) and the reference tables they resolve
against; :mod:`.registry` lists them in the YAML's order."""
