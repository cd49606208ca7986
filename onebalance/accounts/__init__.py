"""Running merchants' One Balance accounts for a platform (``Accounts``) and diagnosing them."""
