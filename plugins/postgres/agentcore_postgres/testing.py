"""A throwaway PostgreSQL cluster for tests: ``initdb`` in a temporary directory, ``pg_ctl``.

PostgreSQL refuses to run as root, so when the tests run as root the cluster's directory is
handed to an unprivileged user (``nobody``) and the server runs as that user through
``runuser``. The server listens on 127.0.0.1 only, on a free port, with ``trust``
authentication for its one user (nothing but this machine can reach it, and it lives only
as long as the ``with`` block). Where the binaries are missing, :func:`postgres_binaries`
says so and the tests skip with that reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "agentcore"
SERVICE_USER = "nobody"


def postgres_binaries() -> tuple[Path | None, str]:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None`` and why not."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and all((Path(folder) / name).is_file() for name in ("initdb", "pg_ctl")):
            return Path(folder), ""
    return None, (
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian "
        "'postgresql' package (make setup does)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster, yield its connection URL, stop it and remove its files."""
    bindir, why = postgres_binaries()
    if bindir is None:
        raise RuntimeError(why)
    root = Path(tempfile.mkdtemp(prefix="agentcore-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            raise RuntimeError("running as root without runuser: cannot start PostgreSQL")
        shutil.chown(root, user=SERVICE_USER)
        as_user = ["runuser", "-u", SERVICE_USER, "--"]
    data, log, port = root / "data", root / "server.log", _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}\n{tail}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER,
            "--no-sync", "-E", "UTF8", "--locale=C")  # fmt: skip
        options = f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
            "start")  # fmt: skip
        try:
            yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(cluster_url: str, prefix: str = "t") -> str:
    """A new, empty database on the cluster; its URL (drop it with :func:`drop_database`)."""
    import uuid

    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return cluster_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(database_url: str) -> None:
    import psycopg

    cluster_url, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{cluster_url}/postgres", autocommit=True) as con:
        con.execute(f"DROP DATABASE {name} WITH (FORCE)")
