"""The navigation bar, declared by the apps whose pages it links.

An app lists its entries as `nav` in its own `urls.py`, next to the routes they
lead to:

    nav = [NavItem(_("Queue"), "queue", order=10, show=lambda user: not user.is_customer)]

The bar shows, for the user, every entry whose `show` says yes, by `order`
(entries for different roles may share an order: the one a role sees stands in
that place).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from kefu.core.discovery import app_modules


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str  # a route name, or a path starting with "/"
    order: int = 50
    show: Callable[[object], bool] = lambda user: True
    id: str = ""  # the link's HTML id, for tests and styling

    @property
    def url(self) -> str:
        return self.url_name if self.url_name.startswith("/") else reverse(self.url_name)


_ITEMS: list[NavItem] | None = None


def all_items() -> list[NavItem]:
    """Every installed kefu app's `urls.nav`, by order (then INSTALLED_APPS order)."""
    global _ITEMS
    if _ITEMS is None:
        found = [item for module in app_modules("urls") for item in getattr(module, "nav", [])]
        _ITEMS = sorted(found, key=lambda item: item.order)
    return _ITEMS


def items_for(user) -> list[NavItem]:
    """The entries `user` sees (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in all_items() if item.show(user)]
