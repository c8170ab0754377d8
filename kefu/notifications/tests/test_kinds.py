"""Notice kinds are declared by the apps that send them (kefu.notifications.kinds)."""

import pytest
from django.utils import translation

from kefu.notifications import kinds
from kefu.notifications.forms import ChannelForm


def test_each_apps_kinds_are_found_when_the_apps_are_ready():
    assert set(kinds.verbs()) >= {"ticket_assigned", "sla_warning", "sla_breach", "escalated", "followup",
                                  "customer_message", "import_done", "parcel_warning"}


def test_a_notice_reads_in_the_readers_language_from_its_params():
    params = {"ref": "T-1", "subject": "丢件"}
    with translation.override("zh-hans"):
        assert kinds.describe("ticket_assigned", params) == "工单 T-1 已分配给你:丢件"
    with translation.override("en"):
        assert kinds.describe("ticket_assigned", params) == "Ticket T-1 was assigned to you: 丢件"
        assert kinds.describe("parcel_warning", {"count": 3}) == "3 parcels are near their sign-off deadline"
        assert kinds.label("sla_breach") == "SLA breached"


def test_a_verb_no_app_declares_still_reads_as_its_reference_and_subject():
    assert kinds.describe("gone_app_notice", {"ref": "X-9", "subject": "旧"}) == "X-9 旧"
    assert kinds.label("gone_app_notice") == "gone_app_notice"


def test_declaring_a_verb_twice_differently_is_refused_and_a_verb_fits_its_column():
    assert kinds.notice_kind("ticket_assigned", kinds.get("ticket_assigned").label,
                             kinds.get("ticket_assigned").text) == "ticket_assigned"
    with pytest.raises(ValueError):
        kinds.notice_kind("ticket_assigned", "Something else")
    with pytest.raises(ValueError):
        kinds.notice_kind("x" * 31, "Too long")


def test_the_channel_form_offers_every_declared_kind():
    offered = {value for value, _label in ChannelForm().fields["verbs"].choices}
    assert offered == set(kinds.verbs())
