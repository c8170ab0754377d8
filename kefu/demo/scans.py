"""Two days of inbound scans for the demo point, written as the GBK CSV export a
brand's system gives a point and imported through the real scan import.

Arrivals come in the trucks' waves; most parcels are signed off within hours,
some only after their warning (saved), a few late or never (missed), a few
turn into problem parcels. Sign-offs later than "now" are in the file too: the
sweep only counts scans at or before the time it evaluates, so while the demo
runs, warnings appear an hour before each deadline and are saved or missed as
the clock reaches the sign-offs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from django.conf import settings

from kefu.core.tz import SHANGHAI
from kefu.customers.models import Customer
from kefu.orgs.models import Area, NetworkPoint
from kefu.parcels.ingest import scans_import

SH = SHANGHAI
HEADER = ["运单号", "扫描类型", "扫描时间", "网点编号", "员工工号", "产品类型", "签收时限", "片区", "客户编号"]
WAVES = ((6, 30), (11, 0), (15, 30), (20, 0))  # trunk lines arriving at the point
ALLOWANCE = dt.timedelta(hours=24)
LEAD = dt.timedelta(hours=1)


def _fmt(t: dt.datetime) -> str:
    return t.astimezone(SH).strftime("%Y-%m-%d %H:%M:%S")


def build_scan_file(point: NetworkPoint, *, rng: random.Random, now: dt.datetime,
                    per_day: int = 10_000, days: int = 2) -> bytes:
    """The CSV bytes (GBK) of `days` days of inbound parcels ending at `now`."""
    areas = list(Area.objects.filter(point=point).prefetch_related("couriers"))
    ka_codes = list(Customer.objects.filter(point=point, tier=Customer.Tier.KA).values_list("code", flat=True))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    start = (now - dt.timedelta(days=days)).astimezone(SH)
    arrivals = []
    day = start.date()
    while day <= now.astimezone(SH).date():
        for hh, mm in WAVES:
            wave = dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SH)
            if start <= wave <= now - dt.timedelta(minutes=200):
                arrivals.append(wave)
        day += dt.timedelta(days=1)
    per_wave = max(1, per_day // len(WAVES))
    serial = int(now.astimezone(SH).strftime("%y%m%d")) * 100000
    for wave in arrivals:
        for _ in range(per_wave):
            serial += 1
            _write_parcel(writer, rng, f"JZ{serial:013d}", wave, point.code, areas, ka_codes)
    return out.getvalue().encode("gb18030")


def _write_parcel(writer, rng, waybill, wave, point_code, areas, ka_codes) -> None:
    area = rng.choice(areas)
    couriers = list(area.couriers.all())
    emp = rng.choice(couriers).employee_no if couriers else ""
    customer = rng.choice(ka_codes) if ka_codes and rng.random() < 0.03 else ""
    # Unloading and sorting a trunk line's parcels takes a few hours.
    arrived = wave + dt.timedelta(minutes=rng.randint(0, 180), seconds=rng.randint(0, 59))
    deadline = arrived + ALLOWANCE
    product = "标准快递" if rng.random() < 0.9 else "特惠件"

    def row(kind, t):
        writer.writerow([waybill, kind, _fmt(t), point_code, emp, product, "", area.code, customer])

    row("到件", arrived)
    out_for_delivery = arrived + dt.timedelta(minutes=rng.randint(40, 180))
    row("派件", out_for_delivery)
    r = rng.random()
    if r < 0.86:
        row("签收", out_for_delivery + dt.timedelta(minutes=rng.randint(20, 480)))
    elif r < 0.93:  # signed only after the warning: saved
        row("签收", deadline - LEAD + dt.timedelta(minutes=rng.randint(5, 55)))
    elif r < 0.97:  # late: missed
        row("签收", deadline + dt.timedelta(minutes=rng.randint(10, 600)))
    elif r < 0.99:  # a problem parcel, returned later
        row("问题件", out_for_delivery + dt.timedelta(minutes=rng.randint(30, 240)))
        row("退回", deadline + dt.timedelta(hours=rng.randint(2, 30)))
    # else: never signed in the file: missed


def import_demo_scans(point: NetworkPoint, *, rng: random.Random, now: dt.datetime, per_day: int = 10_000):
    data = build_scan_file(point, rng=rng, now=now, per_day=per_day)
    folder = settings.DATA_DIR / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"到件扫描-{now.astimezone(SH):%Y%m%d}.csv"
    (folder / name).write_bytes(data)
    return scans_import(fileobj=io.BytesIO(data), file_name=name, point=point)


def replay_sweeps(*, now: dt.datetime, hours: int = 26, step_minutes: int = 10) -> dict:
    """Run the sweep as the embedded job would have over the last `hours`, so the
    board has a past: warnings raised, saved and missed at their times."""
    from kefu.parcels.sweep import horizon_reset, sweep

    horizon_reset()  # a live sweep (a served demo before a --reset) may have read past these times
    totals = {"raised": 0, "missed": 0, "saved": 0, "escalated": 0}
    t = now - dt.timedelta(hours=hours)
    while t <= now:
        result = sweep(at=t)
        for key in totals:
            totals[key] += result[key]
        t += dt.timedelta(minutes=step_minutes)
    return totals
