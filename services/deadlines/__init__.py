"""Deadlines the service keeps: the keeper that fires them, and reading them and their outbox."""
