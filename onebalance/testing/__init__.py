"""Test helpers for platforms that embed onebalance (the pytest plugin lives here)."""
