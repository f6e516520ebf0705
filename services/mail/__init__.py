"""Mail: who is told of what, the messages in the outbox, and the sender that delivers them."""
