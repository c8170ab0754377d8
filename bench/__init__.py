"""The kefu benchmark harness: `python -m bench` (or `make bench`).

Benchmarks are not tests: nothing here is collected by pytest, and nothing
here asserts. A run prints a table and writes JSON to bench/results/.

Package map:
- __main__.py   command line; prepares one fresh database per engine and runs
                each in its own process (settings read DATABASE_URL at import)
- runner.py     the per-database process: migrate, build the world, run
- world.py      the point, its staff, areas and customers
- creation.py   service_create and api_create
- bulk.py       fast load of a year of tickets (COPY on PostgreSQL)
- queue_page.py queue page and selector latency
- diagnose.py   every query timed, plans of the slowest (EXPLAIN), cProfile shares
- cpu.py        who used the CPU meanwhile: this run, the database, other processes
- machine.py    what the figures were measured on
- report.py     the table and the JSON files
- stats.py      percentiles
"""

SCALES = {
    # tickets created one by one; tickets in the measured point's queue
    "full": {"creations": 100_000, "queue_tickets": 1_000_000},
    "small": {"creations": 10_000, "queue_tickets": 100_000},
    # a smoke test of the harness itself, not a measurement
    "tiny": {"creations": 500, "queue_tickets": 5_000},
}

# The targets.
QUEUE_P95_TARGET_MS = 100.0  # queue page at 1,000,000 tickets on PostgreSQL
API_CREATE_TARGET_PER_S = 300.0  # API creation on 2 cores

BENCHMARKS = ("service_create", "api_create", "queue_page")
