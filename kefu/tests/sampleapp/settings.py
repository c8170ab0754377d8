"""kefu's settings with one more app: the only change a new app makes outside itself."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "kefu.tests.sampleapp"]  # noqa: F405
