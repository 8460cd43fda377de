"""API contract of the tenants feature (marshmallow schemas; the OpenAPI document is generated from them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from tenants.dimensions import Industry, Region, SizeBand
from tenants.models import OrgKind

_HEX = validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="Use a colour as #RRGGBB.")


class BrandingSchema(Schema):
    display_name = fields.String(allow_none=True, validate=validate.Length(max=200))
    primary_colour = fields.String(allow_none=True, validate=_HEX)
    has_logo = fields.Boolean(dump_only=True)


class OrganisationSchema(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    industry = fields.String(dump_only=True)
    size_band = fields.String(dump_only=True, data_key="size")
    region = fields.String(dump_only=True)
    managed_by = fields.Function(lambda org: org.managed_by.slug if org.managed_by else None, dump_only=True)
    role = fields.String(dump_only=True, metadata={"description": "the token's role on this organisation"})
    branding = fields.Function(
        lambda org: {
            "display_name": org.display_name,
            "primary_colour": org.primary_colour,
            "has_logo": bool(org.logo_path),
        },
        dump_only=True,
    )


class OrganisationListSchema(Schema):
    organisations = fields.List(fields.Nested(OrganisationSchema))


class ClientCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"))
    kind = fields.String(
        load_default=OrgKind.ENTERPRISE.value,
        validate=validate.OneOf([OrgKind.ENTERPRISE.value, OrgKind.RESEARCH.value]),
    )
    industry = fields.String(required=True, validate=validate.OneOf([i.value for i in Industry]))
    size = fields.String(required=True, validate=validate.OneOf([s.value for s in SizeBand]))
    region = fields.String(required=True, validate=validate.OneOf([r.value for r in Region]))


class OrganisationUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    industry = fields.String(validate=validate.OneOf([i.value for i in Industry]))
    size = fields.String(validate=validate.OneOf([s.value for s in SizeBand]))
    region = fields.String(validate=validate.OneOf([r.value for r in Region]))
    branding = fields.Nested(BrandingSchema)


class HealthSchema(Schema):
    status = fields.String()


class CheckoutRequestSchema(Schema):
    plan = fields.String(required=True, validate=validate.OneOf(["pro", "consultancy"]))


class BillingUrlSchema(Schema):
    url = fields.String(dump_only=True, metadata={"description": "a Stripe-hosted page to send the owner to"})
