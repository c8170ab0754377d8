from kefu.core.nav import items_for
from kefu.notifications.selectors import unread_count


def kefu(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user), "nav_items": items_for(user)}
