"""ConnectWise Manage (ConnectWise PSA): the client side of the wire.

:mod:`.client` (the REST client), :mod:`.conditions` (the ``conditions`` / ``fields`` builders),
:mod:`.credentials` (the connection from the real environment), :mod:`.endpoints` (the paths
the Salesbuildr pages read and write), :mod:`.errors` (ConnectWise's refusals mapped to the
error tree). The section models, kinds and the ``Psa`` object come with the engine's wiring.
"""
