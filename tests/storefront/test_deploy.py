"""The deployment files, checked without a container engine: the Dockerfile and
compose.yaml parsed, every setting of .env.example read by the code and every variable
the code reads listed there, one gunicorn configuration used everywhere, the alert
rules about metrics the app exposes (and their promtool unit tests), the lock current."""

from __future__ import annotations

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import override_settings
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ["storefront", "accounts", "catalog", "orders", "payments", "fulfilment", "farm"]
QUEUES = set(settings.CELERY_TASK_QUEUES_NAMES)


# --- Dockerfile ---------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
    return found


def test_dockerfile_is_multi_stage_non_root_and_builds_everything_in():
    steps = dockerfile_instructions()
    stages = [args for word, args in steps if word == "FROM"]
    assert len(stages) == 2 and stages[0].endswith("AS build") and stages[1].endswith("AS runtime")
    final = steps[[i for i, (w, _) in enumerate(steps) if w == "FROM"][-1] :]
    runs = " ".join(args for word, args in final if word == "RUN")
    assert "fonts-wqy-microhei" in runs and "gettext" in runs
    assert "compilemessages" in runs and "collectstatic --noinput" in runs
    users = [args for word, args in final if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    order = [word for word, _ in final]
    assert order.index("USER") < order.index("CMD")
    cmd = next(args for word, args in final if word == "CMD")
    assert shlex.split(cmd.strip("[]").replace(",", " ")) == [
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "storefront.wsgi",
    ]
    assert any(word == "HEALTHCHECK" and "deploy/healthcheck.py" in a for word, a in final)
    # Installed from the lock, hashes checked, the project on top without dependencies.
    build_runs = " ".join(args for word, args in steps[: len(steps) - len(final)] if word == "RUN")
    assert "scripts/lock.py --check" in build_runs
    assert "--require-hashes -r requirements/run.txt" in build_runs
    assert "--no-deps -e ." in build_runs
    for word, args in steps:
        if word == "COPY" and "--from=" not in args:
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env"} <= set(ignored)


# --- compose.yaml -----------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _queues(command: list[str]) -> set[str]:
    return set(command[command.index("-Q") + 1].split(",")) if "-Q" in command else set()


def test_compose_runs_web_a_worker_per_queue_group_one_beat_and_the_services():
    services = compose()["services"]
    assert set(services) == {
        "db",
        "redis",
        "migrate",
        "web",
        "web-catalog",
        "worker-payments",
        "worker-fulfilment",
        "worker-media",
        "worker-sms",
        "worker-reports",
        "beat",
    }
    workers = {n: s["command"] for n, s in services.items() if "worker" in s.get("command", [])}
    consumed = [q for command in workers.values() for q in _queues(command)]
    assert sorted(consumed) == sorted(QUEUES)  # every queue, each by one worker group
    assert _queues(workers["worker-payments"]) == {"payments"}  # money never waits
    assert set(settings.CELERY_TASK_QUEUES_NAMES) == QUEUES
    assert {r["queue"] for r in settings.CELERY_TASK_ROUTES.values()} <= QUEUES
    assert [n for n, s in services.items() if "beat" in s.get("command", [])] == ["beat"]
    assert services["web"]["command"] == ["gunicorn", "-c", "gunicorn.conf.py", "storefront.wsgi"]
    # The catalogue pool is the same app on its own port (nginx routes the product reads).
    catalog_pool = services["web-catalog"]
    assert catalog_pool["command"] == services["web"]["command"]
    assert catalog_pool["ports"] == ["127.0.0.1:8001:8000"]
    assert catalog_pool["environment"]["FORWARDED_ALLOW_IPS"] == "*"
    for name, service in services.items():
        health = service.get("healthcheck", {})
        assert health.get("test") or (name == "migrate" and health.get("disable")), name
    app_services = [n for n in services if n not in ("db", "redis")]
    for name in app_services:
        service = services[name]
        assert service["build"] == "." and service["env_file"] == ".env", name
        assert service["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/run/farmgate-metrics"
        assert "metrics:/run/farmgate-metrics" in service["volumes"], name
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # The release steps, as in Procfile's release line: migrate, then index what is missing.
    release = " ".join(services["migrate"]["command"])
    assert "manage.py migrate --noinput && python manage.py search_rebuild --missing" in release
    assert "noeviction" in services["redis"]["command"]
    metrics_volume = compose()["volumes"]["metrics"]["driver_opts"]
    assert metrics_volume["type"] == "tmpfs"
    # Writable by the image's user, whose uid the Dockerfile fixes.
    runs = " ".join(args for word, args in dockerfile_instructions() if word == "RUN")
    assert "--uid 10001" in runs and "uid=10001,gid=10001" in metrics_volume["o"]


def test_one_gunicorn_configuration_everywhere():
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert web == "web: gunicorn -c gunicorn.conf.py storefront.wsgi"
    consumed = [
        q for line in procfile.splitlines() if " worker " in line for q in _queues(line.split())
    ]
    assert sorted(consumed) == sorted(QUEUES)
    dev = (ROOT / "Procfile.dev").read_text()
    assert "gunicorn -c gunicorn.conf.py storefront.wsgi" in dev
    for text in (procfile, dev, (ROOT / "README.md").read_text()):
        for line in text.splitlines():
            if "gunicorn" in line:  # no second set of flags anywhere
                assert not re.search(r"(\s-w\s|--workers|--threads|-k gthread)", line), line


def test_gunicorn_conf_follows_the_cores_and_the_environment(monkeypatch):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 2)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (3, 4, "gthread")
    assert conf["bind"] == "0.0.0.0:8000"
    assert conf["graceful_timeout"] < 30 <= conf["timeout"]
    assert conf["worker_tmp_dir"] in ("/dev/shm", None)  # noqa: S108 (gunicorn's heartbeat)
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9000")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (conf["workers"], conf["bind"]) == (5, "127.0.0.1:9000")
    assert callable(conf["child_exit"]) and callable(conf["on_starting"])


# --- .env.example -------------------------------------------------------------------------
_ENV_READ = re.compile(
    r"""(?:env_(?:str|bool|int|decimal|list)|os\.environ\.get|os\.getenv|os\.environ\.setdefault)"""
    r"""\(\s*["']([A-Z][A-Z0-9_]*)["']|os\.environ\[["']([A-Z][A-Z0-9_]*)["']\]"""
)


def variables_read_by_the_code() -> set[str]:
    files = [p for d in CODE_DIRS for p in (ROOT / d).rglob("*.py") if "migrations" not in p.parts]
    files += [ROOT / "gunicorn.conf.py", ROOT / "manage.py", *(ROOT / "deploy").glob("*.py")]
    found = set()
    for path in files:
        for match in _ENV_READ.finditer(path.read_text()):
            found.add(match.group(1) or match.group(2))
    # compose.yaml's own ${VARIABLE} interpolations ($$ escapes one for the container).
    found |= set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", (ROOT / "compose.yaml").read_text()))
    return found


def env_example_entries() -> dict[str, str]:
    """Each variable listed (set or commented out) with the comment block above it."""
    entries, comment = {}, []
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s?([A-Z][A-Z0-9_]*)=", line)
        if match:
            entries[match.group(1)] = " ".join(comment)
        elif line.startswith("#"):
            comment = [] if line.startswith("# ----") else [*comment, line.lstrip("# ")]
        else:
            comment = []
    return entries


def test_env_example_lists_exactly_what_the_code_reads():
    read, listed = variables_read_by_the_code(), set(env_example_entries())
    assert read - listed == set(), "read by the code but missing from .env.example"
    assert listed - read == set(), "listed in .env.example but read nowhere"
    for name, meaning in env_example_entries().items():
        assert len(meaning) > 15, f"{name} has no explanation above it"


def test_the_scan_finds_what_it_should():
    read = variables_read_by_the_code()
    assert {"SECRET_KEY", "EMAIL_URL", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"} <= read
    assert {"POSTGRES_PASSWORD", "DJANGO_SETTINGS_MODULE"} <= read
    assert "WORKER_NAME" not in read  # $${WORKER_NAME} is the container's, not compose's


# --- alerts ---------------------------------------------------------------------------
def alert_rules() -> list[dict]:
    groups = yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="t" * 40)
def test_alerts_use_only_metrics_the_app_exposes(client):
    rules = alert_rules()
    assert [r["alert"] for r in rules] == [
        "PaymentNotificationsUnapplied",
        "FulfilmentBacklog",
        "HighErrorRate",
        "QueueNotDraining",
        "ReadinessFailing",
    ]
    client.get("/healthz")  # so the request counter has a sample
    exposed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 40).content.decode()
    guide = (ROOT / "deploy" / "README.md").read_text()
    for rule in rules:
        assert rule["labels"]["severity"] in ("page", "ticket")
        assert rule["annotations"]["summary"]
        assert f"`{rule['alert']}`" in guide, f"deploy/README.md does not explain {rule['alert']}"
        for name in re.findall(r"\b(farmgate_[a-z_]+)", rule["expr"]):
            assert re.search(rf"^{name}[{{ ]", exposed, re.M), f"{name} is not exposed"


def test_alert_rules_pass_their_promtool_unit_tests():
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("FARMGATE_REQUIRE_SERVICES") == "1":
            pytest.fail("promtool (Debian package prometheus) is needed: .ci/run installs it")
        pytest.skip("needs promtool (apt-get install prometheus); CI runs it")
    result = subprocess.run(
        [promtool, "test", "rules", "deploy/alerts_test.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


# --- the dependency lock --------------------------------------------------------------------
def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1).split("[")[0]).lower()] = match.group(2)
    return pins


def test_the_locks_are_current_and_pin_every_requirement():
    check = subprocess.run(
        [sys.executable, "scripts/lock.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, requirements in (
        ("run", project["dependencies"]),
        ("test", project["dependencies"] + project["optional-dependencies"]["test"]),
    ):
        pins = _pins(ROOT / "requirements" / f"{lock}.txt")
        for raw in requirements:
            requirement = Requirement(raw)
            name = re.sub(r"[-_.]+", "-", requirement.name).lower()
            assert name in pins, f"{name} is not in requirements/{lock}.txt"
            assert requirement.specifier.contains(pins[name]), (name, pins[name])
    run, test = _pins(ROOT / "requirements/run.txt"), _pins(ROOT / "requirements/test.txt")
    assert {n: v for n, v in run.items() if test.get(n) != v} == {}  # one version each


def test_a_changed_dependency_without_a_new_lock_fails_loudly(tmp_path):
    (tmp_path / "requirements").mkdir()
    for name in ("run.txt", "test.txt"):
        shutil.copy(ROOT / "requirements" / name, tmp_path / "requirements" / name)
    pyproject = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        pyproject.replace('"segno>=1.6,<2",', '"segno>=1.6,<2",\n    "left-pad>=1",')
    )
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import lock
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert lock.check(ROOT) == []
    problems = lock.check(tmp_path)
    assert len(problems) == 2 and "other dependencies" in problems[0]
    # A change elsewhere in pyproject.toml (ruff's settings, say) needs no new lock.
    other = pyproject.replace("line-length = 100", "line-length = 99")
    (tmp_path / "pyproject.toml").write_text(other)
    assert lock.check(tmp_path) == []
    result = subprocess.run(["make", "-s", "lock-check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_nginx_media_example_serves_as_the_app_does():
    # The guide's nginx lines must keep what storefront.views' media view does: packing
    # slips never public, certificate documents downloads, everything sandboxed, nosniff.
    guide = (ROOT / "deploy" / "README.md").read_text()
    lines = {
        m.group(1): m.group(2) for m in re.finditer(r"location (/media/[a-z-]*/?) \{(.*?)\}", guide)
    }
    assert "return 404" in lines["/media/packing-slips/"]
    assert "Content-Disposition attachment" in lines["/media/certifications/"]
    for location in ("/media/certifications/", "/media/"):
        assert "sandbox" in lines[location] and "nosniff" in lines[location]


def test_nginx_sends_the_catalogue_reads_to_their_own_pool_with_web_as_backup():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = re.search(r"upstream farmgate_catalog \{(.*?)\}", conf, re.S).group(1)
    assert "server 127.0.0.1:8001;" in upstream
    assert "server 127.0.0.1:8000 backup;" in upstream
    location = re.search(r"location /api/v1/products/ \{(.*?)\}", conf, re.S).group(1)
    assert "proxy_pass http://farmgate_catalog;" in location
    # The same forwarded headers as every other request (client IP, scheme, request id).
    main = re.search(r"location / \{(.*?)\}", conf, re.S).group(1)
    for line in main.splitlines():
        if line.strip().startswith("proxy_set_header"):
            assert line.strip() in location, line
