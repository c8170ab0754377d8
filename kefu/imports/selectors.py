from django.db.models import QuerySet
from django.http import Http404

from kefu.imports.models import ImportBatch


def batches_visible_to(user) -> QuerySet[ImportBatch]:
    if user.point_id is None:
        return ImportBatch.objects.all() if user.is_superuser else ImportBatch.objects.none()
    return ImportBatch.objects.filter(point_id=user.point_id).select_related("created_by")


def batch_access(user, pk: int) -> ImportBatch:
    try:
        return batches_visible_to(user).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None
