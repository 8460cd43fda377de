"""The cohort dimensions an organisation is described by: industry, size band and region (DESIGN.md 7)."""

from __future__ import annotations

from enum import StrEnum


class Industry(StrEnum):
    FINANCIAL_SERVICES = "financial_services"
    HEALTHCARE = "healthcare"
    PUBLIC_SECTOR = "public_sector"
    EDUCATION = "education"
    MANUFACTURING = "manufacturing"
    RETAIL = "retail"
    TECHNOLOGY = "technology"
    PROFESSIONAL_SERVICES = "professional_services"
    ENERGY_UTILITIES = "energy_utilities"
    TELECOM_MEDIA = "telecom_media"
    TRANSPORT_LOGISTICS = "transport_logistics"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class SizeBand(StrEnum):
    XS = "xs"
    S = "s"
    M = "m"
    L = "l"
    XL = "xl"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class Region(StrEnum):
    NA = "na"
    LATAM = "latam"
    EMEA = "emea"
    APAC = "apac"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


_LABELS = {
    "financial_services": "Financial services",
    "healthcare": "Healthcare",
    "public_sector": "Public sector",
    "education": "Education",
    "manufacturing": "Manufacturing",
    "retail": "Retail",
    "technology": "Technology",
    "professional_services": "Professional services",
    "energy_utilities": "Energy and utilities",
    "telecom_media": "Telecom and media",
    "transport_logistics": "Transport and logistics",
    "other": "Other",
    "xs": "XS (< 500 users)",
    "s": "S (500-1,999 users)",
    "m": "M (2,000-9,999 users)",
    "l": "L (10,000-49,999 users)",
    "xl": "XL (50,000+ users)",
    "na": "North America",
    "latam": "Latin America",
    "emea": "Europe, Middle East and Africa",
    "apac": "Asia-Pacific",
}
