"""Form fields tied to their help and error texts for screen readers.

Django names the targets of a widget's aria-describedby `<id>_helptext` and `<id>_error`; the
portal's templates print them as `<id>_aide` and `<id>_erreur`. `described` renders the widget
pointing at exactly the texts the template shows, and nothing else.
"""

from django import template
from django.forms import BoundField

register = template.Library()


def described_by(field: BoundField) -> str:
    """The ids of the help and error texts templates/payments/_field.html prints for this field."""
    ids = []
    if field.auto_id:
        if field.help_text:
            ids.append(f"{field.auto_id}_aide")
        if field.errors:
            ids.append(f"{field.auto_id}_erreur")
    return " ".join(ids)


@register.filter
def described(field: BoundField) -> str:
    ids = described_by(field)
    # An empty aria-describedby would still be one that points nowhere: leave the attribute out.
    attrs = {"aria-describedby": ids} if ids else {}
    if not ids:
        field.field.widget.attrs.pop("aria-describedby", None)
    return field.as_widget(attrs=attrs)


@register.filter
def error_count(form) -> int:
    """Every error of the form, its own and its fields' (the summary's heading)."""
    return sum(len(errors) for errors in form.errors.values())
