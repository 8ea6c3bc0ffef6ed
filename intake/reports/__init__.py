"""What the dashboard reports: a period's figures of tickets, chats and the knowledge base."""
