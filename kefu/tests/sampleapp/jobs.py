from kefu.core.jobs import job


@job("sample_count", every=300)
def count_job() -> int:
    from kefu.tests.sampleapp.models import Deduction

    return Deduction.objects.count()
