"""The default category taxonomy (SPEC.md, from seeds 000, 002 and 004) and a
keyword rule that pre-classifies imported messages until the trained
classifier (insights) takes over. Categories remain editable per point."""

from __future__ import annotations

# code, Chinese name, English name, group, urgent, responsible department, keywords
DEFAULT_CATEGORIES: list[tuple[str, str, str, str, bool, str, tuple[str, ...]]] = [
    ("delay", "延误 / 催件", "Delay / chase", "express", False, "operations",
     ("延误", "催件", "催一下", "还没到", "怎么还没", "几天了", "没有更新", "没动", "物流不动", "什么时候到", "什么时候送")),
    ("upstairs", "未上楼 / 上楼费", "Not delivered upstairs / upstairs fee", "express", False, "operations",
     ("上楼", "送上楼", "楼下", "搬上去", "上楼费")),
    ("unreachable", "联系不上收件人", "Recipient unreachable", "express", False, "operations",
     ("联系不上", "打不通", "无人接听", "关机", "没人接")),
    ("bad_address", "地址或电话错误", "Wrong address or phone", "express", False, "operations",
     ("地址错", "地址不详", "电话错", "号码错", "改地址", "修改地址", "空号", "停机")),
    ("overcharge", "超标件 / 乱收费", "Oversize surcharge / overcharging", "express", False, "finance",
     ("乱收费", "多收", "超标", "加收", "收费不合理", "超长")),
    ("refused", "拒收 / 退回", "Refused / returned", "express", False, "operations",
     ("拒收", "退回", "退件", "不要了")),
    ("lost", "丢件", "Lost parcel", "express", True, "operations",
     ("丢件", "丢失", "找不到", "丢了", "遗失")),
    ("false_signoff", "虚假签收", "False sign-off", "express", True, "operations",
     ("虚假签收", "没收到", "显示签收", "未收到却", "被签收", "代签")),
    ("partial_load", "分批配载 / 退网", "Split shipment / off-network", "express", False, "operations",
     ("分批", "少一件", "少了一件", "退网", "只到了")),
    ("timeliness", "时效投诉", "Delivery-time complaint", "express", True, "operations",
     ("时效", "投诉", "12305", "超时")),
    ("slow_dispatch", "发货慢", "Slow dispatch", "ecommerce", False, "operations",
     ("发货慢", "还不发货", "什么时候发货", "没发货")),
    ("slow_arrival", "到货慢", "Slow arrival", "ecommerce", False, "operations",
     ("到货慢", "太慢")),
    ("missing_item", "漏发", "Item missing", "ecommerce", False, "operations", ("漏发", "少发", "缺件")),
    ("wrong_item", "错发", "Wrong item", "ecommerce", False, "operations", ("错发", "发错")),
    ("damaged", "破损", "Damaged", "ecommerce", True, "operations", ("破损", "坏了", "压坏", "摔坏", "漏液")),
    ("extra_item", "多发", "Extra item", "ecommerce", False, "operations", ("多发", "多寄")),
    ("product", "产品不满意", "Product dissatisfaction", "ecommerce", False, "sales",
     ("质量", "不满意", "不好用", "色差")),
    ("counterfeit", "真假货", "Genuine or counterfeit", "ecommerce", False, "sales", ("假货", "正品", "真假")),
    ("slow_refund", "退款慢", "Slow refund", "ecommerce", False, "finance", ("退款", "退钱", "返款")),
    ("attitude", "态度差", "Poor attitude (CS or courier)", "ecommerce", False, "cs",
     ("态度", "骂人", "不耐烦", "凶")),
]

# Business minutes. A point's day is 08:30–18:00 (570 minutes) by default.
DEFAULT_POLICIES = [
    # name, queue, tier, first response, resolution, warn before
    ("默认 Default", "", "", 120, 1140, 30),
    ("到件 Arrival", "arrival", "", 60, 570, 30),
    ("出发 Departure", "departure", "", 120, 1140, 30),
    ("高端 High-end", "", "high", 45, 570, 20),
    ("KA", "", "ka", 30, 285, 15),
]


def seed_defaults(category_model, policy_model) -> None:
    """Create the shared categories and SLA policies that are missing (the data
    migration, and tests whose transactional database was flushed)."""
    for sort, (code, zh, en, group, urgent, dept, _words) in enumerate(DEFAULT_CATEGORIES):
        category_model.objects.get_or_create(
            point=None, code=code,
            defaults={"name": zh, "name_en": en, "group": group, "urgent": urgent,
                      "department_kind": dept, "sort": sort},
        )
    for name, queue, tier, first, resolution, warn in DEFAULT_POLICIES:
        policy_model.objects.get_or_create(
            point=None, name=name,
            defaults={"queue": queue, "tier": tier, "first_response_minutes": first,
                      "resolution_minutes": resolution, "warn_before_minutes": warn},
        )


FEEDBACK_WORDS = ("投诉", "赔偿", "索赔", "差评", "退款", "破损", "丢", "态度", "乱收费", "虚假签收", "12305")


def guess_category_code(text: str) -> str | None:
    """The first category whose keyword occurs in `text`; urgent ones are tried first."""
    if not text:
        return None
    ordered = sorted(DEFAULT_CATEGORIES, key=lambda c: not c[4])
    for code, _zh, _en, _group, _urgent, _dept, words in ordered:
        if any(w in text for w in words):
            return code
    return None


def guess_kind(text: str) -> str:
    """Feedback wants a fix or compensation; everything else is an inquiry (70–80 %)."""
    return "feedback" if any(w in text for w in FEEDBACK_WORDS) else "inquiry"
