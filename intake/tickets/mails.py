"""The texts of the mails a ticket sends its customer."""

from __future__ import annotations


def confirmation(name: str, reference: str, subject: str, link: str, brand: str) -> str:
    """Return the body of the mail that confirms a new ticket and carries its private link."""
    return (
        f"Hello {name},\n\n"
        f"we received your request \u201c{subject}\u201d and gave it the reference {reference}.\n"
        f"Follow it, reply or add files here (keep this link private: it is your key):\n\n"
        f"{link}\n\n"
        f"{brand}\n"
    )
