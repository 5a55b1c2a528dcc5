"""{% chorus_home_link %}: the staff home's entry to Chorus Pro, with its renewal warnings."""

from django import template

from choruspro.services.connection import renewal_warnings

register = template.Library()


@register.inclusion_tag("staff/choruspro/_home_link.html", takes_context=True)
def chorus_home_link(context):
    request = context.get("request")
    is_admin = bool(request and request.user.has_perm("payments.manage_tipi_clients"))
    return {"warnings": renewal_warnings() if is_admin else [], "is_admin": is_admin}
