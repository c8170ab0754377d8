from ninja import Router

from kefu.tests.sampleapp.models import Deduction

router = Router(tags=["sample"])


@router.get("/sample/deductions")
def count(request):
    return {"count": Deduction.objects.filter(point_id=request.auth.point_id).count()}
