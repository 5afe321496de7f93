"""Local HTTP simulators of the Autotask REST API and the Salesbuildr API (the "sandbox").

They are the other side of the wire: nothing here imports any other part of ``reconciler``.
"""
