"""The ground floor: errors, endpoints and timeouts, the retry policy, the HTTP transport, JSON, redaction.

Every other room builds on these; they import nothing else of the SDK.
"""
