"""Users: citizens (accounts app) and staff members with their roles (French data)."""

import factory
from factory.django import DjangoModelFactory


class UserFactory(DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    email = factory.Faker("email", locale="fr_FR")
    username = factory.LazyAttribute(lambda u: u.email)
    password = factory.django.Password("motdepasse-solide-2026")


def staff_member(username: str = "agent", password: str = "mot-de-passe-agent", role: str = "Agents", **extra):
    """An agent (or, with role="Administrateurs", an administrator) as the roles migration defines them."""
    from tipiportal.roles import staff_member_create

    user = staff_member_create(
        username=username, email=extra.pop("email", f"{username}@mairie.example"), password=password, role=role
    )
    for name, value in extra.items():
        setattr(user, name, value)
    if extra:
        user.save()
    return user
