from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kefu.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from kefu.api.models import ApiToken
        from kefu.orgs.models import NetworkPoint, User

        # A cached token carries its user and point: any change to one of them
        # (deactivation, role, point, business hours) drops this process's copies.
        for model in (ApiToken, User, NetworkPoint):
            for name, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(_drop_cached_tokens, sender=model,
                               dispatch_uid=f"api-token-cache-{model.__name__}-{name}")


def _drop_cached_tokens(sender, **kwargs):
    from kefu.api.selectors import api_token_cache_drop

    api_token_cache_drop()
