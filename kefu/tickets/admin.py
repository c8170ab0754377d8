from django.contrib import admin

from kefu.tickets import selectors, sla
from kefu.tickets.models import Category, SLAPolicy, Ticket


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "group", "urgent", "department_kind", "point", "active")
    list_filter = ("group", "urgent", "active")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        selectors.clear_category_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        selectors.clear_category_cache()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        selectors.clear_category_cache()


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "point", "queue", "tier", "category", "first_response_minutes",
                    "resolution_minutes", "warn_before_minutes", "active")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sla.clear_policy_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        sla.clear_policy_cache()


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("pk", "point", "subject", "status", "priority", "assignee", "created_at")
    list_filter = ("status", "queue", "point")
    search_fields = ("waybill_no", "contact_phone", "subject")
    raw_id_fields = ("customer", "assignee", "courier", "created_by", "merged_into", "escalated_to", "area")
