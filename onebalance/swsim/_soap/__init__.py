"""SOAP wire layer shared by the client and the sandbox (private)."""
