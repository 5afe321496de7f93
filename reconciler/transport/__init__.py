"""The one HTTP transport every client uses (PSA-neutral): the httpx factory, auth hooks,
retries, in-flight limits, budgets, paging guards, redaction, the credentials a run needs."""
