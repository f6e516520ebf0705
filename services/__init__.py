"""The outside world: storage, the audit log, the HTTP API, the pages and the command line."""
