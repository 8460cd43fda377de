"""Web forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tenants.dimensions import Industry, Region, SizeBand
from tenants.models import OrgKind
from tenants.roles import Role

INDUSTRY_CHOICES = [(i.value, i.label) for i in Industry]
SIZE_CHOICES = [(s.value, s.label) for s in SizeBand]
REGION_CHOICES = [(r.value, r.label) for r in Region]
KIND_CHOICES = [
    (OrgKind.ENTERPRISE.value, "An IT organisation (benchmark our service desk)"),
    (OrgKind.CONSULTANCY.value, "A consultancy (manage client organisations)"),
    (OrgKind.RESEARCH.value, "A research team (run polls)"),
]
CLIENT_KIND_CHOICES = [KIND_CHOICES[0], KIND_CHOICES[2]]
ROLE_CHOICES = [(r.value, r.value.capitalize()) for r in Role]


class _OrgFields:
    industry = SelectField("Industry", choices=INDUSTRY_CHOICES)
    size_band = SelectField("Size (supported end users)", choices=SIZE_CHOICES)
    region = SelectField("Region", choices=REGION_CHOICES)


class SignupForm(_OrgFields, FlaskForm):
    name = StringField("Your name", validators=[Optional(), Length(max=200)])
    email = EmailField("Work email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])
    org_name = StringField("Organisation name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Your organisation is", choices=KIND_CHOICES)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=200)])


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.ANALYST.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF only."""


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", validators=[Optional(), Length(max=200)])
    password = PasswordField("Choose a password", validators=[DataRequired(), Length(min=10, max=200)])


class OrgSettingsForm(_OrgFields, FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    display_name = StringField("Display name on reports", validators=[Optional(), Length(max=200)])
    primary_colour = StringField(
        "Brand colour", validators=[Optional(), Regexp(r"^#[0-9a-fA-F]{6}$", message="Use #RRGGBB.")]
    )


class ClientForm(_OrgFields, FlaskForm):
    name = StringField("Client name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=CLIENT_KIND_CHOICES)


class TokenForm(FlaskForm):
    name = StringField("Label", validators=[DataRequired(), Length(max=100)], default="API token")


class CheckoutForm(FlaskForm):
    """An Upgrade button: the plan to subscribe to (checked again by the operation)."""

    plan = HiddenField(validators=[DataRequired(), Length(max=20)])
