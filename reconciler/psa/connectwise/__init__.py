"""ConnectWise Manage (ConnectWise PSA): the language of its seven Salesbuildr admin pages.

:mod:`.config` (the section models), :mod:`.kinds` and :mod:`.kinds_callbacks` (the kinds),
:mod:`.kinds_tables` (the reference tables they resolve names in), :mod:`.kinds_documents`
(the Salesbuildr settings documents <-> resources), :mod:`.desired`, :mod:`.rules`,
:mod:`.live_rules` and :mod:`.export`. The client side of the wire comes in its own modules.
"""
