"""Template filters of the warning pages: `{% load parcel_tags %}`."""

from django import template

from kefu.parcels.events import describe

register = template.Library()


@register.filter
def warning_event_text(event) -> str:
    """`{{ event|warning_event_text }}`: what a warning's event says, in the reader's language."""
    return describe(event)
