"""Views: text, JSON and Markdown renderings of plans and diagnostics. Nothing here does I/O."""
