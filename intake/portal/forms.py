"""The customer's HTML forms (Flask-WTF: CSRF token included), with messages per field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # stubs lag 3.3
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    ValidationError,
)

from intake.models import TicketCategory, TicketPriority
from intake.tickets import rules
from intake.tickets.satisfaction import COMMENT_MAX
from intake.web.form_fields import Clean, spelled_once, strip

CATEGORY_LABELS = {
    TicketCategory.technical: "Technical problem",
    TicketCategory.billing: "Billing",
    TicketCategory.general: "General question",
    TicketCategory.feature_request: "Feature request",
    TicketCategory.bug_report: "Bug report",
}
PRIORITY_LABELS = {
    TicketPriority.low: "Low: a question, no rush",
    TicketPriority.medium: "Medium: it slows me down",
    TicketPriority.high: "High: I am blocked",
    TicketPriority.urgent: "Urgent: production is down",
}


EMAIL_RULES = [
    Length(max=rules.EMAIL_MAX, message="That email address is too long."),
    Email("Enter an email address like name@example.com."),
]


class TicketForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no types
    """A new ticket."""

    name = StringField(
        "Your name",
        filters=[strip, spelled_once],  # as the API keeps it: joiners alone are no name
        validators=[
            # DataRequired looks at the stripped value: only spaces is no name (as in the API).
            DataRequired("Enter your name."),
            Length(max=rules.NAME_MAX, message=f"Use at most {rules.NAME_MAX} characters."),
            Clean(),
        ],
    )
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[InputRequired("Enter the email address we should answer to."), *EMAIL_RULES],
    )
    subject = StringField(
        "Subject",
        filters=[strip],
        validators=[
            InputRequired("Enter a subject."),
            Length(
                min=rules.SUBJECT_MIN,
                max=rules.SUBJECT_MAX,
                message=f"Use {rules.SUBJECT_MIN} to {rules.SUBJECT_MAX} characters.",
            ),
            Clean(),
        ],
    )
    description = TextAreaField(
        "Describe the problem",
        filters=[strip],
        validators=[
            InputRequired("Describe what happened."),
            Length(
                min=rules.DESCRIPTION_MIN,
                max=rules.DESCRIPTION_MAX,
                message=f"Use {rules.DESCRIPTION_MIN} to {rules.DESCRIPTION_MAX:,} characters.",
            ),
            Clean(multiline=True),
        ],
    )
    category = SelectField(
        "Category",
        choices=[SelectChoice("", "Choose a category")]
        + [SelectChoice(c.value, CATEGORY_LABELS[c]) for c in TicketCategory],
        validators=[
            InputRequired("Choose a category."),
            AnyOf([c.value for c in TicketCategory], "Choose one of the listed categories."),
        ],
        validate_choice=False,
    )
    priority = SelectField(
        "Priority",
        choices=[SelectChoice(p.value, PRIORITY_LABELS[p]) for p in TicketPriority],
        default=TicketPriority.medium.value,
        validators=[
            InputRequired("Choose a priority."),
            AnyOf([p.value for p in TicketPriority], "Choose one of the listed priorities."),
        ],
        validate_choice=False,
    )
    attachments = MultipleFileField("Attachments (optional)")
    # Hidden from people by CSS; bots fill every field they find.
    website = StringField("Leave this field empty")
    visit_id = HiddenField()


class ReplyForm(FlaskForm):  # type: ignore[misc]
    """A customer's reply on the ticket page."""

    body = TextAreaField(
        "Your reply",
        filters=[strip],
        validators=[
            Length(max=rules.REPLY_MAX, message=f"Use at most {rules.REPLY_MAX:,} characters."),
            Clean(multiline=True),
        ],
    )
    attachments = MultipleFileField("Add files (optional)")

    def validate_body(self, field: Field) -> None:
        """A reply may be files alone, as the API's is; not nothing at all."""
        if not field.data and not any(f.filename for f in self.attachments.data or []):
            raise ValidationError("Write a reply, or add a file.")


class ResolveForm(FlaskForm):  # type: ignore[misc]
    """Mark the ticket resolved (the form carries only the CSRF token)."""


class SatisfactionForm(FlaskForm):  # type: ignore[misc]
    """The one question asked once a ticket is resolved."""

    satisfied = RadioField(
        "Did we solve your problem?",
        choices=[SelectChoice("yes", "Yes, it is solved"), SelectChoice("no", "No, not really")],
        validators=[InputRequired("Choose yes or no.")],
    )
    comment = TextAreaField(
        "Anything you want to tell us? (optional)",
        filters=[strip],
        validators=[
            Length(max=COMMENT_MAX, message=f"Use at most {COMMENT_MAX:,} characters."),
            Clean(multiline=True),
        ],
    )


class RecoverForm(FlaskForm):  # type: ignore[misc]
    """Ask for the links to one's tickets by mail."""

    email = EmailField(
        "Email",
        filters=[strip],
        validators=[InputRequired("Enter the email address you wrote to us from."), *EMAIL_RULES],
    )
