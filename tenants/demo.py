"""The demo login: an example organisation and its owner, created once by `peerbench demo`."""

from __future__ import annotations

from flask import Flask

from core.db import transaction
from tenants import accounts
from tenants.dimensions import Industry, Region, SizeBand
from tenants.models import Membership, OrgKind
from tenants.roles import Role
from tenants.service import OrgProfile, create_organisation, find_organisation_by_slug

DEMO_EMAIL = "demo@peerbench.example"
DEMO_PASSWORD = "peerbench-demo"
DEMO_ORG_SLUG = "northwind"
DEMO_CONSULTANCY_SLUG = "brightpath-advisory"


def load_demo_login(app: Flask) -> list[str]:
    with transaction() as session:
        user = accounts.find_user_by_email(session, DEMO_EMAIL)
        if user is None:
            user = accounts.create_user(session, DEMO_EMAIL, DEMO_PASSWORD, name="Dana Demo")
        if find_organisation_by_slug(session, DEMO_ORG_SLUG) is None:
            create_organisation(
                session,
                OrgProfile(
                    "Northwind Health IT",
                    OrgKind.ENTERPRISE,
                    Industry.HEALTHCARE,
                    SizeBand.M,
                    Region.EMEA,
                    DEMO_ORG_SLUG,
                ),
                owner=user,
            )
        if find_organisation_by_slug(session, DEMO_CONSULTANCY_SLUG) is None:
            consultancy = create_organisation(
                session,
                OrgProfile(
                    "BrightPath Advisory",
                    OrgKind.CONSULTANCY,
                    Industry.PROFESSIONAL_SERVICES,
                    SizeBand.S,
                    Region.EMEA,
                    DEMO_CONSULTANCY_SLUG,
                ),
            )
            session.add(Membership(user_id=user.id, org_id=consultancy.id, role=Role.OWNER))
    return [
        "Demo login (owner of Northwind Health IT and of the consultancy BrightPath Advisory):",
        f"  email:    {DEMO_EMAIL}",
        f"  password: {DEMO_PASSWORD}",
    ]
