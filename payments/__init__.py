"""Payment providers, payments, the callback inbox, refunds and the ledger."""
