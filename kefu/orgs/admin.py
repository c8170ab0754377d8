from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kefu.orgs.models import Area, Department, NetworkPoint, Region, Store, User


@admin.register(User)
class KefuUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "point", "role", "agent_level", "is_active")
    list_filter = ("role", "point")
    fieldsets = UserAdmin.fieldsets + (
        (
            "kefu",
            {
                "fields": (
                    "point", "role", "agent_level", "store", "department", "reports_to",
                    "customer", "display_name", "employee_no", "phone", "queue", "on_shift",
                )
            },
        ),
    )


for model in (Region, NetworkPoint, Store, Department, Area):
    admin.site.register(model)
