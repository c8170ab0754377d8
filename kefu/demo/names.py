"""Chinese names, phone numbers, places and shop names for the demo point.

Everything is generated here from small character and word lists and one
`random.Random`, so a seed always gives the same people and places (no
Faker, nothing downloaded). The city is fictional: 江州市.
"""

from __future__ import annotations

import random

CITY = "江州市"
DISTRICTS = ("城东区", "城南区", "江北区", "高新区", "经开区", "滨江区")

# The hundred most common surnames, roughly by frequency (the first ones more often).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳峰建国志文博晨东亮坤"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英慧婷雪琳晶燕玲颖倩琪欣月萍红梅莉兰凤洁佳悦雨涵思瑶蕾"

PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
)

PEER_POINT_NAMES = (
    "城西网点", "城南网点", "城北网点", "江北网点", "高新区网点", "经开区网点", "滨江网点",
    "南湖网点", "东湖网点", "临港网点", "新城网点", "老城网点", "大学城网点", "科技城网点",
    "高铁新城网点", "金桥网点", "凤凰网点", "青山网点", "桃园网点", "白鹭网点",
)

STREETS = (
    "解放路", "人民路", "建设路", "中山路", "和平路", "新华路", "文化路", "胜利路", "东环路",
    "学府路", "滨江大道", "振兴路", "光明街", "团结路", "长江路", "黄河路", "育才路", "工业大道",
    "创业路", "健康路", "朝阳路", "青年路", "迎宾大道", "望江路",
)
COMMUNITY_WORDS = (
    "幸福", "阳光", "和谐", "锦绣", "翠苑", "金色", "春晓", "香樟", "梧桐", "绿洲", "紫荆", "桂花",
    "丽景", "华府", "嘉园", "东方", "明珠", "滨湖", "银杏", "天悦", "新港", "兰亭", "怡景", "星河",
)
COMMUNITY_SUFFIXES = ("小区", "花园", "家园", "新村", "公寓", "苑", "佳苑", "名邸")
AREA_KINDS = (
    # (suffix, weight): most areas are residential; a few are parks, streets and markets.
    ("街道", 4), ("小区", 8), ("工业园", 3), ("科技园", 2), ("商业街", 2), ("批发市场", 1),
)

SHOP_HEADS = (
    "小鹿", "阿芳", "优品", "木子", "暖暖", "森林", "橙子", "有间", "拾光", "初见", "九月", "晴天",
    "禾苗", "米粒", "小满", "元气", "青柠", "花语", "大山", "江南", "北极熊", "布丁", "麦田", "星空",
)
SHOP_GOODS = (
    "家居", "服饰", "女装", "童装", "鞋业", "零食", "茶叶", "美妆", "母婴", "数码", "文具", "百货",
    "生鲜", "水果", "厨具", "宠物用品", "户外", "饰品", "箱包", "家纺",
)
SHOP_SUFFIXES = ("旗舰店", "专营店", "小铺", "工厂店", "优选", "严选", "的店", "生活馆")
PLATFORMS = ("淘宝", "拼多多", "抖音")
COMPANY_WORDS = (
    "华信", "恒达", "新锐", "博远", "宏图", "联创", "鑫源", "天诚", "启航", "中和", "嘉禾", "瑞丰",
    "立信", "安泰", "汇通", "盛世",
)
COMPANY_TRADES = (
    ("科技有限公司", 3), ("电子商务有限公司", 4), ("贸易有限公司", 3), ("服饰有限公司", 2),
    ("制衣厂", 1), ("食品有限公司", 2), ("医疗器械有限公司", 1), ("汽配有限公司", 1),
)


def weighted(rng: random.Random, pairs) -> object:
    """One value of `pairs` ((value, weight), …), chosen by weight."""
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def surname(rng: random.Random) -> str:
    # A triangular draw: common surnames come up far more often, as they do.
    index = int(rng.triangular(0, len(SURNAMES), 0))
    return SURNAMES[min(index, len(SURNAMES) - 1)]


def person_name(rng: random.Random, *, female: bool | None = None) -> str:
    if female is None:
        female = rng.random() < 0.5
    pool = GIVEN_FEMALE if female else GIVEN_MALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return surname(rng) + given


def polite_name(rng: random.Random) -> str:
    """How a recipient signs a platform message: 王女士, 李先生."""
    return surname(rng) + rng.choice(("女士", "先生", "女士", "先生", "小姐"))


def phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def community(rng: random.Random) -> str:
    return rng.choice(COMMUNITY_WORDS) + rng.choice(COMMUNITY_SUFFIXES)


def area_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct area (片区) names: streets, housing estates, industrial parks."""
    names: list[str] = []
    while len(names) < count:
        kind = weighted(rng, AREA_KINDS)
        if kind == "小区":
            name = community(rng)
        elif kind == "街道":
            name = rng.choice(STREETS).removesuffix("路").removesuffix("大道").removesuffix("街") + "街道"
        elif kind in ("工业园", "科技园"):
            name = rng.choice(("城东", "江北", "高新", "经开", "滨江", "南湖")) + kind
        else:
            name = rng.choice(STREETS).removesuffix("大道") + kind
        if name not in names:
            names.append(name)
    return names


def building(rng: random.Random) -> str:
    """3栋2单元501."""
    floor = rng.randint(1, 18)
    return f"{rng.randint(1, 28)}栋{rng.randint(1, 4)}单元{floor}{rng.randint(1, 4):02d}"


def address(rng: random.Random, place: str | None = None) -> str:
    district = rng.choice(DISTRICTS)
    street = rng.choice(STREETS)
    place = place or community(rng)
    return f"{CITY}{district}{street}{rng.randint(1, 399)}号{place}{building(rng)}"


def shop_name(rng: random.Random) -> tuple[str, str]:
    """(name, platform) of an e-commerce shop."""
    name = rng.choice(SHOP_HEADS) + rng.choice(SHOP_GOODS) + rng.choice(SHOP_SUFFIXES)
    return name, rng.choice(PLATFORMS)


def company_name(rng: random.Random) -> str:
    return "江州" + rng.choice(COMPANY_WORDS) + weighted(rng, COMPANY_TRADES)


def waybill(rng: random.Random) -> str:
    """A 15-digit waybill number of a generic brand (no brand prefix)."""
    return rng.choice(("43", "46", "77", "78")) + f"{rng.randrange(10**13):013d}"


def unique(rng: random.Random, make, taken: set[str], *args, tries: int = 50) -> str:
    """A value of make(rng, *args) not in `taken`; records it."""
    for _ in range(tries):
        value = make(rng, *args)
        if value not in taken:
            taken.add(value)
            return value
    value = f"{make(rng, *args)}{len(taken)}"
    taken.add(value)
    return value
