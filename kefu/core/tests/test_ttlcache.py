import pytest

from kefu.core import ttlcache
from kefu.core.ttlcache import MISSING, TTLCache


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(ttlcache.time, "monotonic", lambda: now[0])
    return now


def test_value_until_it_expires(clock):
    cache = TTLCache(30)
    cache.put("k", 1)
    clock[0] += 29.9
    assert cache.get("k") == 1
    clock[0] += 0.1
    assert cache.get("k") is MISSING


def test_discard_and_clear():
    cache = TTLCache(30)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.discard("a")
    assert (cache.get("a"), cache.get("b")) == (MISSING, 2)
    cache.clear()
    assert cache.get("b") is MISSING


def test_a_value_read_before_an_invalidation_is_not_stored():
    cache = TTLCache(30)
    generation = cache.generation
    cache.discard("k")  # e.g. revoked while the row was being read
    cache.put("k", "stale", generation=generation)
    assert cache.get("k") is MISSING
    cache.put("k", "fresh", generation=cache.generation)
    assert cache.get("k") == "fresh"


def test_full_cache_drops_expired_entries_first(clock):
    cache = TTLCache(30, max_entries=3)
    cache.put("old", 0)
    clock[0] += 20
    cache.put("a", 1)
    cache.put("b", 2)
    clock[0] += 15  # "old" has expired
    cache.put("c", 3)
    assert len(cache) == 3
    assert [cache.get(k) for k in "abc"] == [1, 2, 3]


def test_full_cache_of_live_entries_starts_over():
    cache = TTLCache(30, max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert len(cache) == 1
    assert cache.get("c") == 3


def test_clear_all_empties_every_cache():
    one, two = TTLCache(30), TTLCache(60)
    one.put("x", 1)
    two.put("y", 2)
    ttlcache.clear_all()
    assert (one.get("x"), two.get("y")) == (MISSING, MISSING)
