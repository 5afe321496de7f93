"""HaloPSA: the client side of the wire (connection, OAuth2 token, paging, upserts, rate cap).

What the engine side calls (import from the modules; this package module stays empty so that
finding the PSA packages imports no HTTP library)::

    connection = connection.HaloConnection.from_environment(os.environ)   # HALOPSA_* only
    with client.HaloClient(connection, page_size=100, rate_cap=client.RateCap()) as halo:
        halo.list_all(resources.ASSET_TYPE)                  # every record; paged where Halo pages
        halo.list_all(resources.LOOKUP, {"lookupid": resources.LOOKUP_LISTS["quote_statuses"]})
        halo.get(resources.ITEM, 12)                         # None when Halo does not know it
        halo.upsert(resources.ITEM_GROUP, [{"name": "Hardware"}, {"id": 3, "name": "Software"}])
        halo.set_custom_fields(resources.CLIENT, 7, {"CFSalesbuildrId": "sb-1"})
        halo.delete(resources.WEBHOOK, webhook_id)           # False when already gone
        halo.webhook_events(webhook_id)                      # the delivery log
    events.EVENT_NUMBERS["ticket_updated"]                   # YAML event name -> Halo eventno

The ``Psa`` object (the entry point) is :mod:`.plugin`: the language only so far (sections,
kinds, rules); the engine's wiring comes later.
"""
