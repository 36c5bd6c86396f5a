"""The executors: which addresses and counts are accepted, the render task, its errors and its secrets."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest
from pg_cluster import EDITOR_PASSWORD
from stores import never_made, no_database

from reportgen.build.executors import (
    DaskCluster,
    ProcessPool,
    RenderTask,
    check_address,
    executor_for,
    job_count,
    render_task,
    render_tasks,
)
from reportgen.build.gather import gather
from reportgen.build.jobs import Job, data_months, plan_jobs
from reportgen.errors import ReportgenError
from reportgen.periods import month_scope, year_scope
from reportgen.render import RenderSettings, render_bulletin
from reportgen.store import open_store


def _round_trip(value: object) -> object:
    """``value`` as a worker process or a Dask scheduler gets it (or sends it back)."""
    return pickle.loads(pickle.dumps(value))  # noqa: S301 - bytes this test has just made


# -- choosing an executor --------------------------------------------------------------


@pytest.mark.parametrize("address", ["dask://127.0.0.1:8786", "dask://localhost:8786", "dask://[::1]:8786",
                                     "dask://127.0.0.2:1", "tls://10.1.2.3:8786", "tls://scheduler.example.org:8786"])
def test_loopback_tcp_and_any_tls_address_are_accepted(address):
    assert check_address(address) == address


@pytest.mark.parametrize(("address", "message"), [
    ("dask://0.0.0.0:8786", "plain TCP only to a scheduler on this machine"),
    ("dask://10.1.2.3:8786", "plain TCP only to a scheduler on this machine"),
    ("dask://[2001:db8::1]:8786", "plain TCP only to a scheduler on this machine"),
    ("dask://scheduler.example.org:8786", "plain TCP only to a scheduler on this machine"),
    ("dask://localhost.example.org:8786", "plain TCP only to a scheduler on this machine"),
    ("tcp://127.0.0.1:8786", "expected dask://HOST:PORT"),
    ("127.0.0.1:8786", "expected dask://HOST:PORT"),
    ("dask://127.0.0.1", "expected dask://HOST:PORT"),
    ("dask://:8786", "expected dask://HOST:PORT"),
    ("dask://127.0.0.1:87a6", "expected dask://HOST:PORT"),
])
def test_plain_tcp_beyond_this_machine_and_other_schemes_are_refused(address, message):
    with pytest.raises(ReportgenError, match=message):
        check_address(address)


@pytest.mark.parametrize("value", ["0", "-1", "x", "2.5", "\u0663", "257", ""])
def test_a_job_count_is_a_plain_number_from_1_to_256(value):
    with pytest.raises(ReportgenError, match="expected a number of processes from 1 to 256"):
        job_count(value)


def test_the_options_choose_here_a_pool_or_a_cluster():
    assert executor_for(None, None, "x.db") is None
    assert executor_for("1", None, "x.db") is None
    assert executor_for("3", None, "x.db") == ProcessPool(3, "x.db")
    assert executor_for(None, "dask://127.0.0.1:8786", "x.db") == DaskCluster("dask://127.0.0.1:8786", "x.db")
    with pytest.raises(ReportgenError, match="not both"):
        executor_for("2", "dask://127.0.0.1:8786", "x.db")


# -- the tasks --------------------------------------------------------------------------


def test_tasks_put_the_years_first_with_absolute_paths_and_one_build_id(profile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    jobs = [Job("month", month_scope(2023, 1)), Job("year", year_scope(2022)), Job("month", month_scope(2023, 2)),
            Job("year", year_scope(2023))]
    settings = RenderSettings(profile, templates="mine")
    tasks = render_tasks(jobs, settings, "reportgen.db", (2022, 1))
    assert [t.job.key for t in tasks] == ["2022", "2023", "2023-01", "2023-02"]
    assert {t.db for t in tasks} == {str(tmp_path / "reportgen.db")}
    assert {t.settings.templates for t in tasks} == {str(tmp_path / "mine")}
    assert len({t.build for t in tasks}) == 1
    url = "postgresql://editor:s3cret@db.example.org/incidents"
    assert render_tasks(jobs, settings, url, None)[0].db == url


def test_a_task_shows_no_password_and_pickles_whole(profile):
    task = RenderTask(Job("year", year_scope(2023)), RenderSettings(profile),
                      "postgresql://editor:s3cret@db.example.org/incidents", (2023, 1), "b1")
    assert "s3cret" not in repr(task) and "editor:***@db.example.org" in repr(task)
    assert _round_trip(task) == task


@pytest.mark.slow
def test_a_task_renders_what_the_build_renders(sample_db, profile):
    store = open_store(sample_db, create=False)
    try:
        job = plan_jobs(store, period="2023-06")[0]
        settings = RenderSettings(profile)
        first = data_months(store)[0]
        here = render_bulletin(gather(store, profile, job, first), settings).files()
    finally:
        store.close()
    (task,) = render_tasks([job], settings, str(sample_db), first)
    assert render_task(task) == here


# -- errors ------------------------------------------------------------------------------


def _missing_db_task(profile, location: Path | str) -> RenderTask:
    """A task on a database that was never made (``db_path``: no file, or a server database without tables)."""
    return render_tasks([Job("month", month_scope(2023, 6))], RenderSettings(profile), str(location), None)[0]


def test_a_task_error_is_the_one_line_error_of_the_library(profile, db_path):
    task = _missing_db_task(profile, db_path)
    with pytest.raises(ReportgenError) as here:
        open_store(task.db, create=False)
    with pytest.raises(ReportgenError) as in_task:
        render_task(task)
    assert str(in_task.value) == str(here.value) == no_database(task.db)
    assert type(in_task.value) is ReportgenError and in_task.value.__suppress_context__
    assert str(_round_trip(in_task.value)) == str(here.value)
    assert never_made(db_path)


@pytest.mark.slow
def test_a_worker_process_error_comes_back_as_the_same_line(profile, db_path):
    task = _missing_db_task(profile, db_path)
    pool = ProcessPool(2, task.db)
    with pytest.raises(ReportgenError) as failed:
        list(pool.render([task.job, Job("month", month_scope(2023, 5))], task.settings, None))
    assert str(failed.value) == no_database(task.db)
    assert never_made(db_path)


def test_a_task_error_never_names_the_password(pg_cluster, profile):
    name = pg_cluster.create_database(owner="editor")
    wrong = "Wr0ng-" + EDITOR_PASSWORD
    url = pg_cluster.url(name, "editor", wrong)
    (task,) = render_tasks([Job("month", month_scope(2023, 6))], RenderSettings(profile), url, None)
    with pytest.raises(ReportgenError) as failed:
        render_task(task)
    message = str(_round_trip(failed.value))
    assert "password authentication failed" in message and "editor:***@" in message
    assert wrong not in message and EDITOR_PASSWORD not in message


@pytest.mark.slow
def test_dask_logs_a_failed_task_without_the_password(pg_cluster, profile, caplog):
    from distributed import LocalCluster

    url = pg_cluster.url(pg_cluster.create_database(owner="editor"), "editor", "Wr0ng-" + EDITOR_PASSWORD)
    job = Job("month", month_scope(2023, 6))
    caplog.set_level(logging.WARNING, logger="distributed")
    with LocalCluster(host="127.0.0.1", protocol="tcp", n_workers=1, processes=False, dashboard_address=None) as cluster:
        cluster_executor = DaskCluster(cluster.scheduler_address.replace("tcp://", "dask://"), url)
        with pytest.raises(ReportgenError, match="password authentication failed") as failed:
            list(cluster_executor.render([job], RenderSettings(profile), None))
    logged = caplog.text
    assert "Compute Failed" in logged and "editor:***@" in logged  # older releases also log the task's repr
    assert EDITOR_PASSWORD not in logged and EDITOR_PASSWORD not in str(failed.value)


def test_tls_without_certificates_is_refused_before_connecting(profile, monkeypatch):
    import dask

    with dask.config.set({"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}):
        cluster = DaskCluster("tls://127.0.0.1:1", "x.db")
        with pytest.raises(ReportgenError, match="TLS needs a CA file and a client certificate"):
            list(cluster.render([Job("year", year_scope(2023))], RenderSettings(profile), None))
