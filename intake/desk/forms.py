"""The desk's HTML forms (Flask-WTF: CSRF token included), with messages per field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    MultipleFileField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from intake.agents.passwords import PASSWORD_MAX, PASSWORD_MIN
from intake.errors import InvalidInput
from intake.models import AgentRole, TicketCategory, TicketPriority, TicketStatus
from intake.settings.registry import SETTINGS, TARGET_KINDS, target_key
from intake.tickets import rules
from intake.tickets.canned import PLACEHOLDERS, unknown_placeholders
from intake.web.form_fields import Clean, WholeNumberField, choices, spelled_once, strip

STATUSES = [(s.value, s.value.replace("_", " ").capitalize()) for s in TicketStatus]
PRIORITIES = [(p.value, p.value.capitalize()) for p in TicketPriority]
CATEGORIES = [(c.value, c.value.replace("_", " ").capitalize()) for c in TicketCategory]
ROLES = [(r.value, r.value.capitalize()) for r in AgentRole]


class SignInForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no types
    """Email and password."""

    email = EmailField("Email", filters=[strip], validators=[InputRequired("Enter your email.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    next = HiddenField()


class CodeForm(FlaskForm):  # type: ignore[misc]
    """A code of the authenticator app, or a recovery code."""

    code = StringField(
        "Code", filters=[strip], validators=[InputRequired("Enter the code."), Length(max=20)]
    )


class TwoFactorSetupForm(CodeForm):
    """The app's code that turns it on, and the password when it replaces an app in use."""

    password = PasswordField("Your password", validators=[Length(max=PASSWORD_MAX)])


class ReplyForm(FlaskForm):  # type: ignore[misc]
    """An agent's public reply or internal note, with the status after it."""

    body = TextAreaField(
        "Message",
        filters=[strip],
        validators=[
            DataRequired("Write a message."),
            Length(max=rules.REPLY_MAX, message=f"Use at most {rules.REPLY_MAX:,} characters."),
            Clean(multiline=True),
        ],
    )
    internal = BooleanField("Internal note (never shown to the customer, never mailed)")
    status_after = SelectField(
        "Status after a public reply",
        validate_choice=False,
        choices=choices([("", "As the life cycle says (pending)"), *STATUSES]),
    )
    attachments = MultipleFileField("Files (optional)")
    version = HiddenField(validators=[InputRequired()])


class FieldsForm(FlaskForm):  # type: ignore[misc]
    """A ticket's status, priority, category, tags, group and assignee."""

    status = SelectField("Status", choices=choices(STATUSES), validate_choice=True)
    priority = SelectField("Priority", choices=choices(PRIORITIES), validate_choice=True)
    category = SelectField("Category", choices=choices(CATEGORIES), validate_choice=True)
    tags = StringField(
        "Tags (separated by commas)", filters=[strip], validators=[Length(max=1000), Clean()]
    )
    group = SelectField("Group", validate_choice=False)
    assignee = SelectField("Assignee", validate_choice=False)
    version = HiddenField(validators=[InputRequired()])
    seen = HiddenField()  # the values the page showed (web.shared_edits)


class MergeForm(FlaskForm):  # type: ignore[misc]
    """Merge this ticket into another of the same customer."""

    into = StringField(
        "Merge into ticket (reference)",
        filters=[strip],
        validators=[
            InputRequired("Enter the reference of the ticket to keep."),
            Length(max=24),
            Clean(),
        ],
    )
    version = HiddenField(validators=[InputRequired()])


class SavedViewForm(FlaskForm):  # type: ignore[misc]
    """Keep the queue's current filters under a name."""

    name = StringField(
        "Name of this view",
        filters=[spelled_once],
        validators=[DataRequired("Name the view."), Length(max=100), Clean()],
    )
    query = HiddenField(validators=[Length(max=1000)])


class BulkForm(FlaskForm):  # type: ignore[misc]
    """One action on the tickets selected in the queue."""

    action = SelectField(
        "With the selected tickets",
        validate_choice=True,
        choices=choices(
            [
                ("assign", "Assign to"),
                ("status", "Set status"),
                ("tag", "Add tag"),
                ("merge", "Merge into"),
            ]
        ),
    )
    assignee = SelectField("Agent", validate_choice=False)
    status = SelectField("Status", choices=choices(STATUSES), validate_choice=True)
    tag = StringField("Tag", filters=[strip], validators=[Length(max=rules.TAG_MAX), Clean()])
    into = StringField(
        "Ticket to keep (reference)", filters=[strip], validators=[Length(max=24), Clean()]
    )
    back = HiddenField()


class AgentForm(FlaskForm):  # type: ignore[misc]
    """An account of the team (an admin creates or edits it)."""

    name = StringField(
        "Name",
        filters=[spelled_once],
        validators=[DataRequired("Enter the name."), Length(max=100), Clean()],
    )
    email = EmailField("Email", filters=[strip], validators=[InputRequired("Enter the email.")])
    role = SelectField("Role", choices=choices(ROLES), validate_choice=True)
    password = PasswordField(
        f"Password (at least {PASSWORD_MIN} characters)",
        validators=[Optional(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
    )
    active = BooleanField("Active (can sign in)", default=True)
    seen = HiddenField()  # on an account's page: the values it showed (web/shared_edits.py)


class GroupForm(FlaskForm):  # type: ignore[misc]
    """A group of agents."""

    name = StringField(
        "Group name",
        filters=[spelled_once],
        validators=[DataRequired("Name the group."), Length(max=100), Clean()],
    )


class CannedForm(FlaskForm):  # type: ignore[misc]
    """A saved reply."""

    title = StringField(
        "Title",
        filters=[spelled_once],
        validators=[DataRequired("Give it a title."), Length(max=100), Clean()],
    )
    body = TextAreaField(
        "Text ({customer_name}, {reference}, {subject} and {agent_name} are filled in)",
        filters=[strip],
        validators=[
            DataRequired("Write the text."),
            Length(max=rules.REPLY_MAX),
            Clean(multiline=True),
        ],
    )

    def validate_body(self, field: Field) -> None:
        unknown = unknown_placeholders(field.data or "")
        if unknown:
            known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
            raise ValidationError(f"{{{unknown[0]}}} is no placeholder; use {known}.")


class CustomerForm(FlaskForm):  # type: ignore[misc]
    """A customer's address, to export or erase their data; erasing asks for it twice."""

    email = EmailField(
        "Customer's email",
        filters=[strip],
        validators=[InputRequired("Enter the customer's email.")],
    )
    confirm = EmailField("Type the email again to erase", filters=[strip])


class SettingRule:
    """Check a field as its tenant setting is checked (the message names no key: the field
    is the key)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, _form: FlaskForm, field: Field) -> None:
        if field.process_errors:  # "Enter a whole number…" said it already
            return
        try:
            SETTINGS[self.key].check(field.data)
        except InvalidInput as exc:
            raise ValidationError(exc.message.removeprefix(f"{self.key}: ")) from None


class SettingsForm(FlaskForm):  # type: ignore[misc]
    """The tenant's sign-in rule, automatic work and service targets (one hours field per
    target setting)."""

    require_two_factor = BooleanField("Every agent must sign in with an authenticator app")
    auto_assign = BooleanField("Assign new tickets in turn to the agents online")
    auto_close_days = WholeNumberField(
        "Close resolved tickets after (days)",
        validators=[Optional(), SettingRule("auto_close_days")],  # empty: never, as 0
    )
    time_zone = StringField("Time zone", filters=[strip],
                            validators=[InputRequired("Enter a time zone."),
                                        SettingRule("time_zone")])  # fmt: skip
    business_hours = StringField("Business hours", filters=[strip],
                                 validators=[SettingRule("business_hours")])  # fmt: skip
    holidays = StringField("Holidays", filters=[strip], validators=[SettingRule("holidays")])
    breach_warning_minutes = WholeNumberField(
        "Warn this many minutes before a target",
        validators=[InputRequired("Enter minutes (0: no warning)."),
                    SettingRule("breach_warning_minutes")],
    )  # fmt: skip
    seen = HiddenField()  # the values the page showed (intake/web/shared_edits.py)


for _priority in TicketPriority:
    for _kind, _label in TARGET_KINDS.items():
        _key = target_key(_kind, _priority)
        setattr(SettingsForm, _key, WholeNumberField(
            f"{_priority.value.capitalize()}: {_label} within (hours)",
            validators=[Optional(), SettingRule(_key)],  # empty: no target, as 0
        ))  # fmt: skip


class MailboxForm(FlaskForm):  # type: ignore[misc]
    """Where the tenant's mail comes in: its support address and its IMAP mailbox."""

    mail_address = StringField("Support address", filters=[strip],
                               validators=[SettingRule("mail_address")])  # fmt: skip
    mail_host = StringField("IMAP server", filters=[strip], validators=[SettingRule("mail_host")])
    mail_port = WholeNumberField("Port",
                                 validators=[InputRequired("Enter the port (993 with ssl)."),
                                             SettingRule("mail_port")])  # fmt: skip
    mail_security = SelectField("Security", choices=choices(
        [("ssl", "TLS (port 993)"), ("starttls", "STARTTLS (port 143)"),
         ("none", "None (a server on this machine only)")]), validate_choice=True)  # fmt: skip
    mail_username = StringField("User name", filters=[strip],
                                validators=[SettingRule("mail_username")])  # fmt: skip
    mail_password = PasswordField("Password", validators=[SettingRule("mail_password")])
    mail_folder = StringField("Folder new mail arrives in", filters=[strip],
                              validators=[InputRequired("Enter a folder, such as INBOX."),
                                          SettingRule("mail_folder")])  # fmt: skip
    mail_done_folder = StringField("Folder for mail once stored", filters=[strip],
                                   validators=[InputRequired("Enter a folder, such as Processed."),
                                               SettingRule("mail_done_folder")])  # fmt: skip
    seen = HiddenField()  # the values the page showed (intake/web/shared_edits.py)


MAILBOX_SETTINGS = ("mail_address", "mail_host", "mail_port", "mail_security", "mail_username",
                    "mail_password", "mail_folder", "mail_done_folder")  # fmt: skip


class PasswordForm(FlaskForm):  # type: ignore[misc]
    """An agent changes their own password."""

    current = PasswordField("Current password", validators=[InputRequired("Enter it.")])
    new = PasswordField(
        f"New password (at least {PASSWORD_MIN} characters)",
        validators=[
            InputRequired("Enter a new password."),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX),
        ],
    )


class PreferencesForm(FlaskForm):  # type: ignore[misc]
    """How the agent hears of new tickets, assignments and replies."""

    notify_by_mail = BooleanField("Also tell me by mail")


class TokenForm(FlaskForm):  # type: ignore[misc]
    """A new API token."""

    name = StringField(
        "What is it for?",
        filters=[spelled_once],
        validators=[DataRequired("Name the token."), Length(max=100), Clean()],
    )


class EmptyForm(FlaskForm):  # type: ignore[misc]
    """A button that posts (sign out, revoke): only the CSRF token."""


class ChatMessageForm(FlaskForm):  # type: ignore[misc]
    """An agent's chat message."""

    text = TextAreaField(
        "Your message",
        filters=[strip],
        validators=[
            DataRequired("Write a message."),
            Length(max=5000, message="Your message has %(length)d characters; send at most 5,000."),
            Clean(multiline=True),
        ],
    )


class ChatHandOverForm(FlaskForm):  # type: ignore[misc]
    """Pass a chat to another agent."""

    agent = SelectField("Hand over to", validate_choice=False)
