from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, 0) if mapping else 0


@register.filter
def event_text(event):
    from kefu.tickets.events import describe

    return describe(event)


@register.filter
def field(form, name):
    return form[name]
