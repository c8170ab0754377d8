from celery import shared_task


@shared_task(name="kefu.sample.echo")
def echo(value: str) -> str:
    return value
