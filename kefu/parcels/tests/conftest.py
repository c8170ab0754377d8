import pytest

from kefu.orgs.tests.factories import PointFactory


@pytest.fixture
def point():
    """The network point P1, the one the tests' scan rows name by default."""
    return PointFactory(code="P1")
