"""Mail that no person wrote: auto-replies, out-of-office notes, bounces and list traffic.

Recognised by the headers machines set (RFC 3834's Auto-Submitted, Precedence, the
X-Autoreply family, list headers) and by delivery-status reports (RFC 3464). Such mail is never
answered, so no loop can start between two systems that answer mail.
"""

from __future__ import annotations

from email.message import EmailMessage

from intake.mail.reading import header_text

AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post")
DAEMON_SENDERS = ("mailer-daemon@", "postmaster@")


def is_bounce(msg: EmailMessage) -> bool:
    """Say whether the mail is a delivery-status report (a bounce)."""
    if msg.get_content_type() == "multipart/report":
        return str(msg.get_param("report-type", "")).lower() == "delivery-status"
    return False


def automatic(msg: EmailMessage, sender: str) -> str:
    """Return why the mail was written by a machine ("" if a person wrote it)."""
    submitted = header_text(msg, "Auto-Submitted").lower()[:100]
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = header_text(msg, "Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in AUTOREPLY_HEADERS:
        if header in msg:
            return header
    for header in LIST_HEADERS:
        if header in msg:
            return f"mailing list ({header})"
    if sender.startswith(DAEMON_SENDERS) or not sender:
        return "a mail system's address"
    return ""


def bounced_addresses(msg: EmailMessage) -> list[tuple[str, str]]:
    """Return (address, reason) of each failed recipient of a delivery-status report."""
    failed = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        # Each block of the report is parsed as a message of its own by the email package.
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, str):
                continue
            recipient = (header_text(block, "Final-Recipient")
                         or header_text(block, "Original-Recipient"))  # fmt: skip
            action = header_text(block, "Action").lower()
            if recipient and action == "failed":
                address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                reason = header_text(block, "Diagnostic-Code") or header_text(block, "Status")
                reason = " ".join(reason.split())  # a folded report's runs of spaces, as one
                failed.append((address, reason))
    return failed
