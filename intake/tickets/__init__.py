"""Tickets without Flask: creating, finding by private link, replying, resolving, the writer.

Callable from a request, a CLI job or a listener thread alike.
"""
