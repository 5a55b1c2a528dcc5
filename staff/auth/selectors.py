from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet


def staff_members_with_devices() -> QuerySet:
    """Staff members, each with `devices`: how many confirmed second-factor devices they have."""
    return (
        get_user_model()
        .objects.filter(is_staff=True)
        .annotate(devices=Count("totpdevice", filter=Q(totpdevice__confirmed=True)))
        .order_by("username")
    )
