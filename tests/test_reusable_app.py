"""The app is reusable as the README says: its wheel, installed into a new virtual environment
with its declared dependencies, serves the admin panel and the REST API of a project that
``django-admin startproject`` just made, against a real target — nothing of ``truss/`` needed.

Slow (it builds the wheel and installs the dependencies from the package index): marked
``fresh_project``. A missing index skips the test locally and fails it under CI.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.utils import Target, fresh_database, unavailable

pytestmark = pytest.mark.fresh_project

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "migrations_manager")
PASSWORD = "fresh-project-password"
# What the README tells a project to add, and nothing else.
SETTINGS = """
INSTALLED_APPS += ["rest_framework", "rest_framework.authtoken", "migrations_manager"]
MIGRATIONS_MANAGER = {{"DATABASE_URL": {url!r}, "MIGRATIONS_DIR": {directory!r}}}
"""
URLS = 'urlpatterns.append(path("api/migrations/", include("migrations_manager.api.urls")))\n'


@dataclass(frozen=True)
class Site:
    """The new project, served by ``runserver`` from the new environment."""

    base: str
    token: str
    python: Path
    target: Target


def run(*argv: str | Path, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def clean_environment() -> dict[str, str]:
    """The variables a shell would have: none of this test run's (no DJANGO_SETTINGS_MODULE of
    the truss project, no PYTHONPATH reaching this checkout)."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "SSL_CERT_FILE")
    keep += tuple(name for name in os.environ if name.startswith("PIP_"))
    return {name: os.environ[name] for name in keep if name in os.environ}


def build_wheel(into: Path, env: dict[str, str]) -> Path:
    """The wheel of a copy of the sources (a stale ``build/`` of the checkout never leaks in)."""
    source = into / "source"
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, source / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        into,
        source,
        cwd=into,
        env=env,
    )
    [wheel] = into.glob("*.whl")
    return wheel


def install(wheel: Path, environment: Path, env: dict[str, str]) -> Path:
    """A new virtual environment holding the wheel and its dependencies, from the index."""
    run(sys.executable, "-m", "venv", "--without-pip", environment, cwd=environment.parent, env=env)
    python = environment / "bin" / "python"
    try:
        run(
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "-q",
            "--no-compile",
            wheel,
            cwd=environment.parent,
            env=env,
        )
    except AssertionError as error:
        if "No matching distribution" in str(error) or "Could not find" in str(error):
            unavailable(f"the package index does not answer: {error}")
        raise
    return python


def start_project(python: Path, at: Path, target: Target, env: dict[str, str]) -> Path:
    at.mkdir()
    run(environment_bin(python, "django-admin"), "startproject", "shop", ".", cwd=at, env=env)
    settings = at / "shop" / "settings.py"
    settings.write_text(
        settings.read_text() + SETTINGS.format(url=target.url, directory=str(target.directory))
    )
    urls = at / "shop" / "urls.py"
    text = urls.read_text().replace(
        "from django.urls import path", "from django.urls import include, path"
    )
    urls.write_text(text + URLS)
    return at / "manage.py"


def environment_bin(python: Path, name: str) -> Path:
    return python.parent / name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"runserver exited: {server.stderr.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.fixture(scope="module")
def site(pg_admin_url: str, tmp_path_factory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("fresh")
    env = clean_environment()
    (work / "migrations").mkdir()
    with fresh_database(pg_admin_url, work / "migrations") as target:
        target.write("001_accounts.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY);")
        python = install(build_wheel(work / "dist", env), work / "env", env)
        manage = start_project(python, work / "project", target, env)
        project = manage.parent
        run(python, manage, "migrate", "--noinput", cwd=project, env=env)
        admin_env = {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
        run(
            python,
            manage,
            "createsuperuser",
            "--noinput",
            "--username",
            "admin",
            "--email",
            "admin@example.com",
            cwd=project,
            env=admin_env,
        )
        said = run(python, manage, "drf_create_token", "admin", cwd=project, env=env)
        token = re.search(r"Generated token (\w+)", said).group(1)
        port = free_port()
        server = subprocess.Popen(
            [python, manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{base}/admin/login/", server)
            yield Site(base, token, python, target)
        finally:
            server.terminate()
            server.wait(timeout=10)


def logged_in(site: Site) -> urllib.request.OpenerDirector:
    """A browser-like client logged in through the admin's login form (CSRF token and all)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{site.base}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    fields = {
        "username": "admin",
        "password": PASSWORD,
        "csrfmiddlewaretoken": token,
        "next": "/admin/",
    }
    opener.open(f"{site.base}/admin/login/", urllib.parse.urlencode(fields).encode())
    return opener


def test_the_admin_panel_lists_the_targets_migrations(site):
    browser = logged_in(site)
    page = browser.open(f"{site.base}/admin/migrations_manager/migration/").read().decode()
    assert 'data-migration="001_accounts.sql"' in page
    assert '<span class="mm-badge mm-badge--pending">pending</span>' in page
    assert "/static/migrations_manager/admin.css" in page
    css = browser.open(f"{site.base}/static/migrations_manager/admin.css")
    assert css.status == 200 and b".mm-badge" in css.read()
    preview = browser.open(
        f"{site.base}/admin/migrations_manager/migration/001_accounts.sql/preview/"
    )
    assert "CREATE" in preview.read().decode()


def test_the_rest_api_answers_the_status(site):
    request = urllib.request.Request(
        f"{site.base}/api/migrations/idempotent/status",
        headers={"Authorization": f"Token {site.token}"},
    )
    with urllib.request.urlopen(request) as response:
        body = json.loads(response.read())
    assert body["summary"]["pending"] == 1
    assert [m["name"] for m in body["migrations"]] == ["001_accounts.sql"]


def test_without_a_token_the_api_asks_for_one(site):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{site.base}/api/migrations/idempotent/status")
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"] == "Token"


def test_nothing_of_the_truss_project_is_installed(site):
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('truss') is not None)"
    done = subprocess.run(
        [site.python, "-c", probe], env=clean_environment(), cwd=site.python.parent
    )
    assert done.returncode == 0, "the wheel installs the truss project"
