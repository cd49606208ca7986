"""What the SDK keeps: credentials, postage records, the refill and label journals, and the store that
bundles them (in memory, SQLite or PostgreSQL)."""
