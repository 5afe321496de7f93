"""HaloPSA: the client side of the wire (connection, OAuth2 token, paging, upserts, rate cap).

Import the parts from their modules (:mod:`~reconciler.psa.halopsa.client`, ``connection``,
``resources``, ``events``); this package module stays empty so that finding the PSA packages
imports no HTTP library. The engine side (sections, kinds, the ``Psa`` object) comes later.
"""
