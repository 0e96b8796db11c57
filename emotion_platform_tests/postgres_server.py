"""A real, throw-away PostgreSQL server on loopback (Debian's ``postgresql`` package; scripts/setup.sh installs it).

The server runs from a temporary folder on a free port with trust authentication for loopback
only. PostgreSQL refuses to run as root, so as root the folder is handed to the ``postgres``
system user (created by the Debian package) and the server runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "emotion_platform"


def postgres_bin_dir() -> Path | None:
    """The newest installed server binaries (``/usr/lib/postgresql/<major>/bin``), or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    folder: Path
    bin_dir: Path

    def stop(self) -> None:
        """Stop the server at once, as a crash or a lost node would (``pg_ctl -m immediate``)."""
        subprocess.run(
            _as_server_user(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        """Start it again on the same port and data folder."""
        subprocess.run(
            _as_server_user(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.folder / "data"),
                    "-l",
                    str(self.folder / "server.log"),
                    "-o",
                    _options(self.port, self.folder),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname="postgres")
        connection.autocommit = True
        with contextlib.closing(connection), connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _options(port: int, folder: Path) -> str:
    return f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off"


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def running_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    """Start a server, yield how to reach it, then stop it and delete its folder."""
    folder = Path(tempfile.mkdtemp(prefix="emotion-platform-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, log = folder / "data", folder / "server.log"
    port = _free_port()
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    _options(port, folder),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
            timeout=90,
        )
        yield PostgresServer("127.0.0.1", port, SUPERUSER, folder, bin_dir)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                check=False,
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(folder, ignore_errors=True)
