"""The authority that runs the site (name, logo, address, contact, colour), from the settings:
every page shows it (header, footer, legal pages) and every e-mail is signed with it."""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Authority:
    name: str
    address: str
    phone: str
    email: str
    website: str
    logo: str  # a static file's path, or "" for none
    colour: str
    publication_director: str
    hosting: str
    dpo_email: str


@dataclass(frozen=True)
class Accessibility:
    conformity: str  # "totalement", "partiellement" or "non"
    audit: str
    non_compliant: tuple[str, ...]
    contact: str
    statement_date: str


def authority_get() -> Authority:
    return Authority(
        name=settings.AUTHORITY_NAME,
        address=settings.AUTHORITY_ADDRESS,
        phone=settings.AUTHORITY_PHONE,
        email=settings.AUTHORITY_EMAIL,
        website=settings.AUTHORITY_WEBSITE,
        logo=settings.AUTHORITY_LOGO,
        colour=settings.AUTHORITY_COLOR,
        publication_director=settings.AUTHORITY_PUBLICATION_DIRECTOR,
        hosting=settings.AUTHORITY_HOSTING,
        dpo_email=settings.AUTHORITY_DPO_EMAIL,
    )


def accessibility_get() -> Accessibility:
    return Accessibility(
        conformity=settings.ACCESSIBILITY_CONFORMITY,
        audit=settings.ACCESSIBILITY_AUDIT,
        non_compliant=tuple(settings.ACCESSIBILITY_NON_COMPLIANT),
        contact=settings.ACCESSIBILITY_CONTACT or settings.AUTHORITY_EMAIL,
        statement_date=settings.ACCESSIBILITY_STATEMENT_DATE,
    )


def authority_context(request: HttpRequest | None = None) -> dict:
    """Context processor (and the e-mails' context): `authority` and the footer's conformity."""
    return {"authority": authority_get(), "accessibility_conformity": settings.ACCESSIBILITY_CONFORMITY}
