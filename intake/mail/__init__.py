"""Mail: the outbox written with what caused it, and the sender that delivers it."""
