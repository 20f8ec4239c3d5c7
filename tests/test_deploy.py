"""deploy/, the Dockerfile and compose.yaml, checked by the tools that will read them: systemd-analyze verify on
the units, caddy validate on the Caddyfile, nginx -t on the nginx site, bash -n and shellcheck on install.sh;
and the containers run the same crm commands as the systemd units.

scripts/test-deps.sh installs the tools (Caddy and nginx unpacked into .venv/deploy-tools); a missing one
skips its test, and fails it under CI=true.
"""

import configparser
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from crm import create_app
from crm.extensions import db

from .conftest import app_config
from .e2e.conftest import serving
from .mailserver import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PREFIX = "/opt/crm"  # where the units expect the checkout; install.sh writes the real one in
UNITS = ("crm-web.service", "crm-worker.service", "crm-backup.service", "crm-backup.timer")
# Which container runs what each unit runs.
CONTAINER_FOR = {"crm-web.service": "app", "crm-worker.service": "worker", "crm-backup.service": "backup"}
TOOL_DIRS = [Path(os.environ.get("CRM_DEPLOY_TOOLS", ROOT / ".venv" / "deploy-tools")) / sub
             for sub in ("usr/bin", "usr/sbin")]


def tool(name: str) -> str:
    """The path of a command-line tool, or skip (fail under CI) when it isn't installed."""
    found = shutil.which(name) or next((str(d / name) for d in TOOL_DIRS if (d / name).is_file()), None)
    if found:
        return found
    reason = f"{name} is not installed (scripts/test-deps.sh installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: required under CI", pytrace=False)
    pytest.skip(reason)


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    """Run a tool, capturing its output."""
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs)


def unit(name: str) -> configparser.ConfigParser:
    """A unit file, parsed (keys keep their case)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(DEPLOY / name)
    return parser


# ---- systemd ------------------------------------------------------------------------------------------------


@pytest.fixture
def installed(tmp_path) -> Path:
    """The units as install.sh writes them for a checkout at tmp_path, whose .venv/bin/flask is this run's."""
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "flask").symlink_to(Path(sys.executable).parent / "flask")
    (tmp_path / "instance").mkdir()
    units = tmp_path / "units"
    units.mkdir()
    for name in UNITS:
        (units / name).write_text((DEPLOY / name).read_text().replace(PREFIX, str(tmp_path)))
    return units


def test_systemd_analyze_verify_accepts_the_units(installed):
    analyze = tool("systemd-analyze")
    result = run(analyze, "verify", *(str(installed / name) for name in UNITS), cwd=installed)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr  # warnings count as failures


def test_systemd_analyze_would_see_a_missing_program(installed, tmp_path):
    analyze = tool("systemd-analyze")
    (tmp_path / ".venv" / "bin" / "flask").unlink()
    result = run(analyze, "verify", str(installed / "crm-web.service"), cwd=installed)
    assert result.returncode != 0 and "flask" in result.stderr


@pytest.mark.parametrize("name", ["crm-web.service", "crm-worker.service", "crm-backup.service"])
def test_each_service_runs_hardened_as_crm_from_the_checkout(name):
    service = unit(name)["Service"]
    assert (service["User"], service["Group"], service["WorkingDirectory"]) == ("crm", "crm", PREFIX)
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == f"{PREFIX}/instance"
    assert service["NoNewPrivileges"] == "true" and service["PrivateTmp"] == "true"
    assert service["ProtectHome"] == "true" and service["UMask"] == "0077"
    if name != "crm-backup.service":
        assert service["Restart"] == "on-failure"
        assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_the_backup_runs_nightly():
    timer = unit("crm-backup.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 03:15:00" and timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "crm-backup.service" and unit("crm-backup.service")["Service"]["Type"] == "oneshot"


def test_the_worker_starts_after_the_web_unit_has_migrated():
    assert "crm-web.service" in unit("crm-worker.service")["Unit"]["After"].split()
    assert crm_commands(unit("crm-web.service"))[0] == ["flask", "--app", "crm", "db", "upgrade"]


# ---- the crm commands, in the units and in the containers ---------------------------------------------------


def from_flask(argv: list[str]) -> list[str]:
    """A command line from its `flask` on (/opt/crm/.venv/bin/flask and flask are the same program)."""
    start = next(i for i, word in enumerate(argv) if Path(word).name == "flask")
    return ["flask", *argv[start + 1:]]


def crm_commands(parsed: configparser.ConfigParser) -> list[list[str]]:
    """What a unit runs, in order: ExecStartPre, then ExecStart."""
    service = parsed["Service"]
    return [from_flask(shlex.split(service[key])) for key in ("ExecStartPre", "ExecStart") if key in service]


def image_command() -> list[list[str]]:
    """What the Dockerfile's CMD runs, in order (a `sh -c "a && exec b"` line is two commands)."""
    line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    argv = json.loads(line.removeprefix("CMD "))
    scripts = [argv[2]] if argv[:2] == ["sh", "-c"] else [shlex.join(argv)]
    parts = [part.strip().removeprefix("exec ") for script in scripts for part in script.split("&&")]
    return [from_flask(shlex.split(part)) for part in parts]


def compose() -> dict:
    """compose.yaml, parsed."""
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def container_commands(service: str) -> list[list[str]]:
    """What a compose service runs: its command, or the image's."""
    command = compose()["services"][service].get("command")
    return [from_flask(command)] if command else image_command()


@pytest.mark.parametrize("name", sorted(CONTAINER_FOR))
def test_the_containers_run_the_units_commands(name):
    assert container_commands(CONTAINER_FOR[name]) == crm_commands(unit(name))


def test_the_units_run_the_commands_crm_has():
    assert crm_commands(unit("crm-web.service")) == [["flask", "--app", "crm", "db", "upgrade"],
                                                     ["flask", "--app", "crm", "web"]]
    assert crm_commands(unit("crm-worker.service")) == [["flask", "--app", "crm", "worker"]]
    assert crm_commands(unit("crm-backup.service")) == [["flask", "--app", "crm", "backup"]]


def test_compose_has_the_app_the_worker_postgresql_and_redis_sharing_one_instance_folder():
    services = compose()["services"]
    assert {"app", "worker", "postgres", "redis"} <= set(services)
    for name in ("app", "worker", "backup"):
        environment = services[name]["environment"]
        assert environment["CRM_DATABASE_URL"].startswith("postgresql://crm:")
        assert environment["CRM_REDIS_URL"].startswith("redis://redis:")
        assert environment["CRM_RATELIMIT_STORAGE_URI"].startswith("redis://redis:")
        assert services[name]["volumes"] == ["instance:/opt/crm/instance"]
    assert services["app"]["ports"] == ["127.0.0.1:5000:5000"]
    assert services["backup"]["profiles"] == ["backup"]  # run on demand, not by `up`


def test_the_image_is_slim_runs_as_its_own_user_and_migrates_at_start():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.M)
    assert re.search(r"^USER crm$", dockerfile, re.M)
    assert image_command()[0] == ["flask", "--app", "crm", "db", "upgrade"]


# ---- the proxies ----------------------------------------------------------------------------------------------


def caddy(*args, tmp_path) -> subprocess.CompletedProcess:
    """Run caddy with its state kept in tmp_path."""
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    return run(tool("caddy"), *args, env=env)


@pytest.mark.parametrize("domain", [None, "shop.example.org"])
def test_caddy_validates_the_caddyfile(tmp_path, domain):
    path = DEPLOY / "Caddyfile"
    if domain:  # as install.sh writes it
        path = tmp_path / "Caddyfile"
        path.write_text((DEPLOY / "Caddyfile").read_text().replace("crm.example.com", domain))
    result = caddy("validate", "--config", str(path), "--adapter", "caddyfile", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_the_caddyfile_serves_the_domain_over_https_and_passes_a_request_id(tmp_path):
    result = caddy("adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    server, = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]  # a named host: Caddy's automatic HTTPS (and the redirect from :80)
    route, = server["routes"]
    assert route["match"] == [{"host": ["crm.example.com"]}]
    text = json.dumps(route)
    assert '"dial": "127.0.0.1:5000"' in text and '"X-Request-Id": ["{http.request.uuid}"]' in text


def wait_for_port(port: int, process: subprocess.Popen) -> None:
    """Until something listens on the port (or the process has died)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}: {process.stderr.read() if process.stderr else ''}")


def test_through_caddy_the_app_answers_with_the_proxys_request_id(database_url, tmp_path):
    caddy_bin = tool("caddy")
    app = create_app(app_config(database_url, PROXIES=1))
    with serving(app) as app_url:
        port = free_port()
        caddyfile = tmp_path / "Caddyfile"
        caddyfile.write_text("{\n\tadmin off\n}\n" + (DEPLOY / "Caddyfile").read_text()
                             .replace("crm.example.com", f"http://127.0.0.1:{port}")
                             .replace("127.0.0.1:5000", app_url.removeprefix("http://")))
        env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
               "XDG_CONFIG_HOME": str(tmp_path)}
        process = subprocess.Popen([caddy_bin, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_for_port(port, process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.css", timeout=5) as response:
                assert response.status == 200
                # Caddy's UUID, not crm's own 32 hex digits: the proxy's id reached the app and came back.
                assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                                    response.headers["X-Request-ID"])
        finally:
            process.terminate()
            process.wait(timeout=10)
    with app.app_context():
        db.engine.dispose()


def test_nginx_accepts_the_site(tmp_path):
    nginx = tool("nginx")
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                        "uwsgi", "scgi"))
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
                    f"http {{ {temp} include {DEPLOY / 'nginx' / 'crm.conf'}; }}\n")
    result = run(nginx, "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log"))
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr


def test_the_proxies_send_what_crm_reads():
    site = (DEPLOY / "nginx" / "crm.conf").read_text()
    for header in ("X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "X-Forwarded-Host $host",
                   "X-Request-ID $request_id"):
        assert f"proxy_set_header {header};" in site
    assert "proxy_pass http://127.0.0.1:5000;" in site


# ---- install.sh -----------------------------------------------------------------------------------------------


def test_install_sh_parses_and_passes_shellcheck():
    assert run("bash", "-n", str(DEPLOY / "install.sh")).returncode == 0
    result = run(tool("shellcheck"), str(DEPLOY / "install.sh"), str(ROOT / "scripts" / "test-deps.sh"))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("args, message", [
    ([], "usage:"),
    (["shop.example.com", "other.example.com"], "usage:"),
    (["--apache", "shop.example.com"], "unknown option: --apache"),
    (["shop.example.com; rm -rf /"], "not a domain name"),
])
def test_install_sh_refuses_bad_arguments_before_doing_anything(args, message, tmp_path):
    # No programs on the PATH: were the arguments ever let through, the script could still install nothing.
    result = run(shutil.which("bash"), str(DEPLOY / "install.sh"), *args, env={"PATH": str(tmp_path)})
    assert result.returncode == 2 and message in result.stderr


def test_install_sh_installs_every_unit_in_deploy():
    script = (DEPLOY / "install.sh").read_text()
    listed = re.search(r"^UNITS=\((.*)\)$", script, re.M).group(1).split()
    assert sorted(listed) == sorted(p.name for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))


def test_the_guide_goes_from_a_fresh_machine_to_https_in_at_most_five_commands():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    section = guide.split("## From a fresh VPS", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert 1 <= len(commands) <= 5, commands
    assert any("deploy/install.sh" in line for line in commands)
