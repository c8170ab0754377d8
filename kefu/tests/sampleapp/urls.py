from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from kefu.core.nav import NavItem
from kefu.tests.sampleapp.models import Deduction


@login_required
def deductions(request):
    return HttpResponse(str(Deduction.objects.filter(point_id=request.user.point_id).count()))


urlpatterns = [path("sample/deductions/", deductions, name="sample_deductions")]
nav = [NavItem("Deductions", "sample_deductions", order=60, show=lambda user: user.is_cs)]
