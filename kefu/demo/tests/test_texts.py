import random

import pytest

from kefu.demo import names, texts
from kefu.tickets.taxonomy import DEFAULT_CATEGORIES, guess_category_code, guess_kind

VALUES = {"place": "幸福小区", "place2": "阳光花园", "b": "3栋2单元501", "tail": "1234",
          "phone": "13812345678", "point": "城东网点", "courier": "张伟"}


def test_every_category_has_customer_texts():
    assert set(texts.CUSTOMER_TEXTS) == {c[0] for c in DEFAULT_CATEGORIES}
    assert all(usual or complaints for usual, complaints in texts.CUSTOMER_TEXTS.values())


@pytest.mark.parametrize("code", sorted(texts.CUSTOMER_TEXTS))
def test_the_import_rule_files_each_text_under_its_category_and_kind(code):
    rng = random.Random(0)
    usual, complaints = texts.CUSTOMER_TEXTS[code]
    for kind, templates in (("inquiry", usual), ("feedback", complaints)):
        for template in templates:
            text = texts.fill(rng, template, **VALUES)
            assert (guess_category_code(text), guess_kind(text)) == (code, kind), text


def test_generated_names_and_numbers_look_chinese():
    rng = random.Random(1)
    people = [names.person_name(rng) for _ in range(200)]

    assert all(2 <= len(p) <= 3 and p[0] in names.SURNAMES for p in people)
    assert len(set(people)) > 150
    assert all(len(names.phone(rng)) == 11 for _ in range(50))
    assert len(set(names.area_names(rng, 25))) == 25
    assert names.address(rng, "幸福小区").startswith(names.CITY)
