"""`reportgen build --jobs N` and `--executor dask://...` through the real entry point: the same files as
a build in one process, refusals in one line, and a database password nowhere."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pg_cluster import EDITOR_PASSWORD

from reportgen.build.manifest import MANIFEST_NAME
from reportgen.cli import main
from reportgen.demo import load_sample
from reportgen.profile import load_profile
from reportgen.store import open_store

pytestmark = pytest.mark.slow

SAMPLE_FOLDERS = ["2023/01", "2023/02", "2023/03", "2023/04", "2023/05", "2023/06", "2023/year"]
GENERATED = re.compile(rb"generated (\d{4}-\d{2}-\d{2})")
PDF_DATES = re.compile(rb"/(CreationDate|ModDate) *\(D:[^)]*\)")


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def serial_build(sample_db, tmp_path_factory) -> Path:
    """The sample year built in this process, one bulletin after another."""
    out = tmp_path_factory.mktemp("serial") / "out"
    result = run("--db", sample_db, "build", "--year", "2023", "--jobs", "1", "--output", out)
    assert result.exit_code == 0, result.output
    assert sorted({name.rsplit("/", 1)[0] for name in files_of(out)}) == SAMPLE_FOLDERS
    return out


def files_of(root: Path) -> dict[str, bytes]:
    """The bulletins' files (not the build's manifest, which records when each was written)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME}


def recorded(root: Path) -> dict[str, dict]:
    """What the manifest records of each bulletin (its inputs, the digests of its files...), without
    the files' sizes and modification times, which differ from one build to another."""
    entries = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))["bulletins"]
    return {folder: {k: v for k, v in entry.items() if k != "stats"} for folder, entry in entries.items()}


def generated_day(files: dict[str, bytes]) -> bytes:
    (day,) = {m.group(1) for name, data in files.items() if name.endswith(".html") for m in GENERATED.finditer(data)}
    return day


def normalised(data: bytes, day: bytes) -> bytes:
    """The file with its generation day and any PDF creation and modification dates blanked."""
    return PDF_DATES.sub(rb"/\1 (D:0)", data.replace(day, b"YYYY-MM-DD"))


def pdf_text(data: bytes) -> tuple[int, str]:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def assert_same_outputs(expected_root: Path, actual_root: Path) -> None:
    """Every file byte for byte, apart from the generation day and PDF dates. A PDF's pages are
    compressed, so the generation day printed in them cannot be blanked in the bytes: if the two
    builds ran on different days (across midnight), their PDFs are compared by page count and text."""
    expected, actual = files_of(expected_root), files_of(actual_root)
    assert sorted(actual) == sorted(expected)
    day_then, day_now = generated_day(expected), generated_day(actual)
    for name, data in expected.items():
        before, after = normalised(data, day_then), normalised(actual[name], day_now)
        if before != after and name.endswith(".pdf") and day_then != day_now:
            pages, text = pdf_text(data)
            assert pdf_text(actual[name]) == (pages, text.replace(day_then.decode(), day_now.decode())), name
        else:
            assert before == after, name


def test_two_processes_build_what_one_builds(serial_build, sample_db, tmp_path):
    out = tmp_path / "out"
    result = run("--db", sample_db, "build", "--year", "2023", "--jobs", "2", "--output", out)
    assert result.exit_code == 0, result.output
    assert_same_outputs(serial_build, out)
    assert recorded(out) == recorded(serial_build)
    reported = sorted(line for line in result.stderr.splitlines() if line.endswith("/"))
    assert reported == sorted(f"{out}/{folder}/" for folder in SAMPLE_FOLDERS)


def test_a_dask_cluster_builds_what_one_process_builds(serial_build, sample_db, tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "out"
    with LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        result = run("--db", sample_db, "build", "--year", "2023", "--executor", address, "--output", out)
        assert result.exit_code == 0, result.output
    assert_same_outputs(serial_build, out)
    assert recorded(out) == recorded(serial_build)


@pytest.mark.parametrize(("args", "message"), [
    (["--executor", "dask://0.0.0.0:8786"], "plain TCP only to a scheduler on this machine"),
    (["--executor", "dask://192.0.2.1:8786"], "plain TCP only to a scheduler on this machine"),
    (["--executor", "http://127.0.0.1:8786"], "expected dask://HOST:PORT"),
    (["--jobs", "0"], "--jobs '0': expected a number of processes from 1 to 256"),
    (["--jobs", "two"], "--jobs 'two': expected a number of processes from 1 to 256"),
    (["--jobs", "2", "--executor", "dask://127.0.0.1:8786"], "give --jobs or --executor, not both"),
])
def test_refusals_are_one_line_and_write_nothing(sample_db, tmp_path, args, message):
    out = tmp_path / "out"
    result = run("--db", sample_db, "build", "--year", "2023", *args, "--output", out)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("reportgen: error: ")
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


# -- a database password (PostgreSQL) -------------------------------------------------------


@pytest.fixture
def editor_url(pg_cluster) -> str:
    """A database of the sample data that the role ``editor`` owns, reached with its password."""
    url = pg_cluster.url(pg_cluster.create_database(owner="editor"), "editor", EDITOR_PASSWORD)
    store = open_store(url)
    load_sample(store, load_profile("syrian-desert"))
    store.close()
    return url


def test_a_parallel_build_shows_the_password_nowhere(editor_url, tmp_path):
    out = tmp_path / "out"
    result = run("--db", editor_url, "build", "--year", "2023", "--jobs", "2", "--output", out)
    assert result.exit_code == 0, result.output
    assert sorted({name.rsplit("/", 1)[0] for name in files_of(out)}) == SAMPLE_FOLDERS
    written = [p for p in out.rglob("*") if p.is_file()]
    assert out / MANIFEST_NAME in written
    for text in [result.output, *(p.read_bytes().decode("latin-1") for p in written)]:
        assert EDITOR_PASSWORD not in text and "editor:" not in text


def test_a_worker_that_cannot_connect_fails_the_build_in_one_line_without_the_password(pg_cluster, editor_url, tmp_path):
    out = tmp_path / "out"
    pg_cluster.admin("ALTER ROLE editor CONNECTION LIMIT 1")  # the build process holds the one connection
    try:
        result = run("--db", editor_url, "build", "--year", "2023", "--jobs", "2", "--output", out)
    finally:
        pg_cluster.admin("ALTER ROLE editor CONNECTION LIMIT -1")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
    assert result.stderr.startswith("reportgen: error: postgresql://editor:***@")
    assert 'too many connections for role "editor"' in result.stderr
    assert EDITOR_PASSWORD not in result.output and "Traceback" not in result.output
    assert not [p for p in out.rglob("*") if p.is_file()]


# -- a cluster over TLS --------------------------------------------------------------------


def certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway certificate authority and one certificate it signs (scheduler, worker and client share it)."""
    ca, ca_key, cert, key, request = (folder / n for n in ("ca.pem", "ca.key", "node.pem", "node.key", "node.csr"))

    def openssl(*args: object) -> None:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=reportgen test CA",
            "-keyout", ca_key, "-out", ca)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", request)
    openssl("x509", "-req", "-days", "2", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert)
    return ca, cert, key


def test_a_tls_cluster_builds_with_the_certificates_of_dask_configuration(serial_build, sample_db, tmp_path):
    import dask
    from distributed import LocalCluster, Security

    ca, cert, key = certificates(tmp_path)
    security = Security(tls_ca_file=str(ca), tls_scheduler_cert=str(cert), tls_scheduler_key=str(key),
                        tls_worker_cert=str(cert), tls_worker_key=str(key), tls_client_cert=str(cert),
                        tls_client_key=str(key), require_encryption=True)
    out = tmp_path / "out"
    client_config = {"distributed.comm.tls.ca-file": str(ca), "distributed.comm.tls.client.cert": str(cert),
                     "distributed.comm.tls.client.key": str(key)}
    with LocalCluster(host="127.0.0.1", protocol="tls", security=security, n_workers=1, threads_per_worker=1,
                      processes=True, dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tls://127.0.0.1:")
        with dask.config.set({key: None for key in client_config}):
            refused = run("--db", sample_db, "build", "--period", "2023-06", "--executor", cluster.scheduler_address,
                          "--output", out)
        with dask.config.set(client_config):
            result = run("--db", sample_db, "build", "--period", "2023-06", "--executor", cluster.scheduler_address,
                         "--output", out)
    assert refused.exit_code == 1 and "TLS needs a CA file and a client certificate" in refused.stderr
    assert result.exit_code == 0, result.output
    assert_same_outputs(serial_build / "2023" / "06", out / "2023" / "06")
