"""ConnectWise Manage (ConnectWise PSA): both the wire and the language of its seven pages.

The wire: :mod:`.client` (the REST client), :mod:`.conditions` (the ``conditions`` / ``fields``
builders), :mod:`.credentials` (the connection from the real environment), :mod:`.endpoints`
(the paths the Salesbuildr pages read and write), :mod:`.errors` (ConnectWise's refusals mapped
to the error tree). The language: :mod:`.config` (the section models), :mod:`.kinds` and
:mod:`.kinds_callbacks` (the kinds), :mod:`.kinds_tables` (the reference tables they resolve
names in), :mod:`.kinds_documents` (the Salesbuildr settings documents <-> resources),
:mod:`.desired`, :mod:`.rules`, :mod:`.live_rules` and :mod:`.export`. The ``Psa`` object (the
entry point) is :mod:`.plugin`: the language only so far; the engine's wiring comes with #21.
"""
