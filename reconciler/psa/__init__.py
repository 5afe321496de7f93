"""The PSA packages (Autotask today), each exposing one :class:`~reconciler.psa.base.Psa`.

:mod:`reconciler.psa.base` (the interface) and :mod:`reconciler.psa.registry` (discovery through
the ``reconciler.psa`` entry-point group) are the core's side; the core imports no PSA package
directly: it asks the registry."""
