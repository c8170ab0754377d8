"""Template filters every app's pages may use: `{% load kefu_tags %}`."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ counts|get_item:status }}`: a dict's value by a variable key (0 when absent)."""
    return mapping.get(key, 0) if mapping else 0


@register.filter
def field(form, name):
    """`{% with f=form|field:name %}`: a form's bound field by a variable name."""
    return form[name]
