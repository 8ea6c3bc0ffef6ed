"""Live chat without Flask: sessions, messages, read receipts, tickets from chats, retention."""
