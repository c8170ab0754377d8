"""Browser tests in Debian's Chromium: what an agent and a KA customer do."""

import re

import pytest

from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Queue, Role
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory, UserFactory
from kefu.tickets import services
from kefu.tickets.models import Channel, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-123456"


def login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_agent_replies_to_and_resolves_a_ticket_from_the_queue(page, live_server):
    point = PointFactory()
    agent = AgentFactory(point=point, username="kefu1", display_name="王小丽", queue=Queue.ARRIVAL)
    area = AreaFactory(point=point, owner=agent, name="东湖片区")
    customer = CustomerFactory(point=point, name="李女士", area=area)
    ticket = services.ticket_create(
        point=point, subject="快递三天没更新,麻烦催一下", queue=Queue.ARRIVAL, channel=Channel.IMPORT,
        waybill_no="YT1234567890123", customer=customer,
    )
    foreign = services.ticket_create(point=PointFactory(), subject="另一个网点的工单",
                                     queue=Queue.ARRIVAL, channel=Channel.WEB)

    login(page, live_server, "kefu1")
    page.wait_for_url(re.compile(r"/queue/"))
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    row = page.locator(f"tr.ticket-row[data-id='{ticket.pk}']")
    assert "YT1234567890123" in row.inner_text()
    assert page.locator(f"tr.ticket-row[data-id='{foreign.pk}']").count() == 0

    # Search by waybill through the HTMX filter.
    page.fill("#id_q", "YT1234567890123")
    page.wait_for_function("document.querySelectorAll('tr.ticket-row').length === 1")

    row.locator("a").first.click()
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/"))
    page.fill("#reply-form textarea[name=body]", "您好,已联系派件员,今天下午送达。")
    page.click("#send-reply")
    page.wait_for_selector(".timeline .msg.reply")
    assert "今天下午送达" in page.locator("#timeline").inner_text()

    page.fill("#reply-form textarea[name=body]", "已签收,感谢耐心等待。")
    page.click("#resolve")
    page.wait_for_selector("#timeline >> text=已签收")

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.first_responded_at is not None
    assert ticket.messages.count() == 2


def test_ka_customer_raises_a_ticket_and_sees_it(page, live_server, tmp_path):
    point = PointFactory()
    named = AgentFactory(point=point, display_name="陈静")
    ka = CustomerFactory(point=point, name="优品旗舰店", tier=Customer.Tier.KA, named_agent=named)
    UserFactory(point=point, username="ka1", role=Role.CUSTOMER, customer=ka, display_name="优品客服")
    other = CustomerFactory(point=point, name="别家店铺")
    hidden = services.ticket_create(point=point, subject="别人的工单", queue=Queue.DEPARTURE,
                                    channel=Channel.WEB, customer=other)

    login(page, live_server, "ka1")
    page.wait_for_url(re.compile(r"/portal/"))
    assert "别人的工单" not in page.content()

    page.click("a[href='/portal/new/']")
    page.fill("input[name=subject]", "发往杭州的件丢了")
    page.fill("input[name=waybill_no]", "YT9876543210987")
    page.fill("textarea[name=description]", "客户说一直没收到,物流显示已签收,请核实是否虚假签收。")
    photo = tmp_path / "签收截图.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    page.set_input_files("input[name=files]", str(photo))
    page.click("#portal-submit")

    page.wait_for_url(re.compile(r"/tickets/\d+/"))
    ticket = Ticket.objects.exclude(pk=hidden.pk).get(customer=ka)
    assert ticket.assignee == named  # 一对一: the KA's named agent
    assert ticket.priority == 1
    assert ticket.channel == Channel.PORTAL
    assert ticket.attachments.count() == 1
    page.goto(f"{live_server.url}/portal/")
    assert ticket.reference in page.locator("table").inner_text()
    assert page.goto(f"{live_server.url}/tickets/{hidden.pk}/").status == 404

