"""Shared pytest fixtures: a temporary media root, fast password hashing, and Playwright on
Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The factories set a password for every user; PBKDF2's deliberate slowness would
    # dominate the run, and no test is about it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _shared_taxonomy(request):
    # A transactional test's database is flushed after the test, migrations' data
    # included: put the shared categories and SLA policies back for the next one.
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from kefu.tickets.models import Category, SLAPolicy
    from kefu.tickets.taxonomy import seed_defaults

    seed_defaults(Category, SLAPolicy)


@pytest.fixture(autouse=True)
def _fresh_sla_policies():
    # Each test's database has its own policies, tokens and categories: never
    # reuse another test's cached copy.
    from kefu.core.ttlcache import clear_all
    from kefu.tickets.sla import clear_policy_cache

    clear_policy_cache()
    clear_all()
    yield
    clear_policy_cache()
    clear_all()


def _cjk_font_present() -> bool:
    try:
        out = subprocess.run(["fc-list"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(k in out.lower() for k in ("wqy", "noto sans cjk", "noto serif cjk", "droid sans fallback"))


def _browser_missing_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not _cjk_font_present():
        return "no CJK font (apt-get install fonts-wqy-microhei)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests must run under CI=true, but {reason}")
        pytest.skip(f"NOTICE: browser test skipped: {reason}")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        os.makedirs("test-artifacts", exist_ok=True)
        pg.screenshot(path=f"test-artifacts/{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"kefu database: {engine}", f"chromium: {'yes' if shutil.which('chromium') or os.path.exists(CHROMIUM) else 'no'}"]
