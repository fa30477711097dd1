"""A deadline afternoon against a real server: eight people saving at once and a crowd signing
in lose nothing and get no server error, on SQLite and on PostgreSQL. Counts, never times."""

from benchmarks._concurrency import run_sign_ins, run_writers, running_server


def test_eight_writers_and_sixteen_sign_ins_at_once(own_database):
    url, engine = own_database
    engine.dispose()  # the server has the database to itself
    with running_server(url) as base:
        writers = run_writers(base, url, writers=8, per_writer=10)
        crowd = run_sign_ins(base, people=16)

    assert writers.requests == 80
    assert writers.server_errors == 0, writers.statuses
    assert writers.lock_errors == 0
    assert writers.acknowledged == 80, writers.statuses  # every update was recorded...
    assert writers.lost == 0  # ...and is in the database afterwards
    assert crowd.server_errors == 0, crowd.statuses
    assert crowd.acknowledged == 16, crowd.statuses
