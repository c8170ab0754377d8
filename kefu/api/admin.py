from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kefu.api.models import ApiToken
from kefu.api.services import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `kefu api-token`; here they are reviewed and revoked."""

    list_display = ("name", "key_prefix", "user", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "key_prefix", "user__username")
    readonly_fields = ("user", "name", "key_prefix", "created_at", "last_used_at", "revoked")
    exclude = ("key_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked=False))
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(request, _("%(n)s tokens revoked.") % {"n": len(tokens)}, messages.SUCCESS)
