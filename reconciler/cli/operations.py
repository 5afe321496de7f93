"""Operations commands: sync, import-products, webhooks status/report/uninstall."""
