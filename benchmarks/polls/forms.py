"""Builder forms (Flask-WTF: each carries a CSRF token). Question rules live in service.question_problems."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from benchmarks.polls.library import LIBRARY_CODES, LIBRARY_TITLES, PROFILE_LABELS

LIBRARY_CHOICES = [(code, f"{code}: {LIBRARY_TITLES[code]}") for code in LIBRARY_CODES]
TYPE_CHOICES = [
    ("single", "Single choice"),
    ("multiple", "Multiple choice"),
    ("scale", "Scale 1 to N"),
    ("text", "Free text"),
]


class NewPollForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])


class PollSettingsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    intro = TextAreaField("Introduction", validators=[Optional(), Length(max=5000)])
    closes_at = DateTimeLocalField("Closes at (UTC)", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    response_cap = IntegerField("Response cap", validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    one_per_browser = BooleanField("One response per browser")
    show_results_after = BooleanField("Show live results on the thank-you page")
    public_results = BooleanField("Publish a public results page")
    profile = SelectMultipleField(
        "Respondent profile questions (for cross-tabs)",
        choices=list(PROFILE_LABELS.items()),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )


class LibraryQuestionForm(FlaskForm):
    library = SelectField("Standard question", choices=LIBRARY_CHOICES)


class CustomQuestionForm(FlaskForm):
    text = StringField("Question", validators=[DataRequired(), Length(max=500)])
    type = SelectField("Type", choices=TYPE_CHOICES)
    options = TextAreaField("Options, one per line (single and multiple choice)", validators=[Optional()])
    scale_max = IntegerField(
        "Scale runs from 1 to", default=5, validators=[Optional(), NumberRange(min=2, max=10)]
    )
    required = BooleanField("Answer required", default=True)


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[("open", "Open"), ("closed", "Closed")])


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""
