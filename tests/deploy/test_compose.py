"""compose.yaml checked by a Compose specification implementation, its structure, and the Dockerfile (no Docker
daemon needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec.compose_spec import PyOptions

from contracts import topology
from pilar_runtime.brokerusers import definitions

ROOT = Path(__file__).resolve().parents[2]
APP_PORTS = {"registry": 8001, "outreach": 8002, "notify": 8003, "reporting": 8004, "console": 8000}
REQUIRED_VARIABLE = re.compile(r"\$\{(\w+):\?[^}]+\}")


def required_variable(value: str) -> str:
    """The variable named by a `${VAR:?message}` reference, which compose refuses to run without."""
    match = REQUIRED_VARIABLE.fullmatch(value)
    assert match, f"{value!r} is not a ${{VAR:?message}} reference"
    return match.group(1)


def compose_text() -> str:
    return (ROOT / "compose.yaml").read_text(encoding="utf-8")


def compose() -> Any:
    return yaml.safe_load(compose_text())


def services() -> dict[str, Any]:
    result: dict[str, Any] = compose()["services"]
    return result


def dockerfile_instructions() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_services_exist() -> None:
    assert set(services()) == {"mongo-keyfile", "mongo", "rabbitmq", "mailcatcher", "prometheus", "grafana", *APP_PORTS}


def test_compose_yaml_is_a_valid_compose_file() -> None:
    # compose-spec's parser knows every field of the Compose specification, with its types and allowed values, and
    # checks that every config, secret, network and volume a service uses is declared.
    parsed = PyOptions(apply_merge=True).from_yaml(compose_text())
    parsed.validate()
    assert set(parsed.service_names()) == set(services())
    for name, service in services().items():  # a dependency it cannot check: the service must exist
        assert set(service.get("depends_on", {})) <= set(services()), name


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda s: s["registry"].update(restart="sometimes"), "sometimes"),
        (lambda s: s["notify"].update(environmnet={"A": "1"}), "environmnet"),
        (lambda s: s["rabbitmq"]["configs"].append({"source": "undeclared", "target": "/x"}), "undeclared"),
        (lambda s: s["prometheus"]["healthcheck"].update(interval="every 10 seconds"), "duration"),
    ],
)
def test_the_validation_refuses_what_compose_would(change: Any, complaint: str) -> None:
    document = compose()
    change(document["services"])
    with pytest.raises(ValueError, match=complaint):
        PyOptions(apply_merge=True).from_yaml(yaml.safe_dump(document)).validate()


def test_notify_sends_mail_to_the_mail_catcher() -> None:
    assert services()["notify"]["environment"]["NOTIFY_SMTP_HOST"] == "mailcatcher"
    assert services()["mailcatcher"]["image"].startswith("axllent/mailpit:")


def test_mongo_runs_a_single_node_replica_set_that_initiates_itself() -> None:
    mongo = services()["mongo"]
    assert mongo["image"] == "mongo:8"
    command = mongo["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check and "mongo:27017" in check


def test_mongo_requires_authentication_with_a_generated_key_file() -> None:
    mongo = services()["mongo"]
    env = mongo["environment"]
    assert required_variable(env["MONGO_INITDB_ROOT_USERNAME"]) == "MONGO_ROOT_USER"
    assert required_variable(env["MONGO_INITDB_ROOT_PASSWORD"]) == "MONGO_ROOT_PASS"
    # A replica set with authentication needs a key file (it also turns authorization on).
    command = mongo["command"]
    keyfile = command[command.index("--keyFile") + 1]
    assert mongo["depends_on"] == {"mongo-keyfile": {"condition": "service_completed_successfully"}}
    maker = services()["mongo-keyfile"]
    made = " ".join(maker["entrypoint"])
    assert "/dev/urandom" in made and "chmod 400" in made and "chown 999:999" in made
    (keys,) = [v for v in maker["volumes"] if v.endswith(":/keys")]
    assert f"{keys.split(':')[0]}:{keyfile.rsplit('/', 1)[0]}:ro" in mongo["volumes"]
    # The healthcheck authenticates with the container's own variables: no credentials in its definition.
    check = " ".join(mongo["healthcheck"]["test"])
    assert '-p "$$MONGO_INITDB_ROOT_PASSWORD"' in check


def test_mongo_publishes_no_port_and_infrastructure_listens_on_loopback_only() -> None:
    assert "ports" not in services()["mongo"]
    for name in ("rabbitmq", "mailcatcher", "mongo-keyfile", "prometheus", "grafana"):
        for published in services()[name].get("ports", []):
            assert str(published).startswith("127.0.0.1:"), (name, published)


def broker_definitions() -> Any:
    """The definitions file compose gives RabbitMQ, each required variable read as ``<NAME>``."""
    content = compose()["configs"]["rabbitmq-definitions"]["content"]
    content = REQUIRED_VARIABLE.sub(lambda m: f"<{m.group(1)}>", content).replace("$$", "$")
    return json.loads(content)


def test_rabbitmq_is_a_management_image_that_loads_pilars_definitions() -> None:
    rabbitmq = services()["rabbitmq"]
    assert rabbitmq["image"].startswith("rabbitmq:") and rabbitmq["image"].endswith("-management")
    mounts = {m["source"]: m["target"] for m in rabbitmq["configs"]}
    conf = compose()["configs"]["rabbitmq-conf"]["content"]
    assert mounts["rabbitmq-conf"].startswith("/etc/rabbitmq/conf.d/")
    assert f"load_definitions = {mounts['rabbitmq-definitions']}" in conf
    # With definitions imported the node creates no default user: every user is one of the definitions'.
    assert "environment" not in rabbitmq
    assert broker_definitions()["vhosts"] == [{"name": "/"}]


def test_the_operators_broker_user_has_required_credentials_and_may_redrive_as_the_producer() -> None:
    users = {u["name"]: u for u in broker_definitions()["users"]}
    operator = users["<RABBITMQ_USER>"]
    assert operator["password"] == "<RABBITMQ_PASS>"
    assert set(operator["tags"]) == {"administrator", "impersonator"}
    assert set(users) == {"<RABBITMQ_USER>", *(f"pilar-{name}" for name in APP_PORTS)}


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_each_service_has_its_own_broker_user_limited_to_its_own_names_and_routing_keys(name: str) -> None:
    # The same grant `pilar up` and the tests give a service's user (the regular expressions are checked there).
    expected = definitions({name: (f"pilar-{name}", f"<RABBITMQ_{name.upper()}_PASS>")})
    found = broker_definitions()
    for part in ("users", "permissions", "topic_permissions"):
        mine = [entry for entry in found[part] if entry.get("name", entry.get("user")) == f"pilar-{name}"]
        assert mine == expected[part], part


def test_rabbitmq_is_a_supported_version_and_its_dead_letter_queues_keep_what_they_hold() -> None:
    version = services()["rabbitmq"]["image"].removeprefix("rabbitmq:").removesuffix("-management")
    assert version.startswith(("3.13", "4.")), version
    assert broker_definitions()["policies"] == [topology.dead_letter_policy()]


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_each_service_connects_as_its_own_user_and_knows_every_producers(name: str) -> None:
    env = services()[name]["environment"]
    match = re.fullmatch(rf"amqp://pilar-{name}:(\$\{{[^}}]+\}})@rabbitmq:5672/", env["AMQP_URL"])
    assert match and required_variable(match.group(1)) == f"RABBITMQ_{name.upper()}_PASS"
    assert json.loads(env["PILAR_BROKER_USERS"]) == {service: f"pilar-{service}" for service in APP_PORTS}


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_waits_for_healthy_infrastructure(name: str) -> None:
    depends_on = services()[name]["depends_on"]
    assert depends_on == {
        "mongo": {"condition": "service_healthy"},
        "rabbitmq": {"condition": "service_healthy"},
    }


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_runs_its_module_from_the_project_image(name: str) -> None:
    service = services()[name]
    assert service["build"] == "."
    assert service["command"] == ["python", "-m", f"services.{name}"]
    # A fixed name would make `--scale` impossible.
    assert "container_name" not in service


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_environment(name: str) -> None:
    env = services()[name]["environment"]
    port = APP_PORTS[name]
    assert env[f"{name.upper()}_PORT"] == str(port)
    assert re.fullmatch(
        r"mongodb://\$\{MONGO_ROOT_USER:\?[^}]+\}:\$\{MONGO_ROOT_PASS:\?[^}]+\}@mongo:27017/"
        r"\?replicaSet=rs0&authSource=admin",
        env["MONGODB_URL"],
    )
    assert env["PILAR_JWKS_URL"] == "http://console:8000/.well-known/jwks.json"
    assert "PILAR_JWT_SECRET" not in env and "PILAR_JWKS" not in env  # public keys only, from the console
    if name in ("notify", "reporting"):
        assert required_variable(env["PILAR_LINK_SECRET"]) == "PILAR_LINK_SECRET"
    else:
        assert "PILAR_LINK_SECRET" not in env


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_healthcheck_probes_readyz_on_its_port(name: str) -> None:
    test = services()[name]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "/readyz" in test[3] and "urllib.request" in test[3]
    assert test[4:] == [str(APP_PORTS[name])]


@pytest.mark.parametrize("name", sorted(APP_PORTS))
def test_app_service_publishes_its_port(name: str) -> None:
    ports = services()[name]["ports"]
    port = APP_PORTS[name]
    # notify is published on an ephemeral host port so that `--scale notify=2` works; the others bind a
    # fixed host port equal to their container port.
    expected = [str(port)] if name == "notify" else [f"{port}:{port}"]
    assert ports == expected


@pytest.mark.parametrize("name", ["mongo", "rabbitmq", "mailcatcher", "prometheus", "grafana", *sorted(APP_PORTS)])
def test_every_service_has_a_healthcheck(name: str) -> None:
    healthcheck = services()[name]["healthcheck"]
    assert healthcheck["test"][0] in ("CMD", "CMD-SHELL")
    assert {"interval", "timeout", "retries"} <= set(healthcheck)


def test_every_variable_is_required_and_no_default_credentials_appear() -> None:
    text = compose_text()
    assert "guest" not in text.lower()
    # `${VAR}`, `${VAR:-default}` and `${VAR-default}` would start the stack without a secret.
    variables = re.findall(r"\$\{[^}]*\}", text)
    assert variables
    assert {required_variable(variable) for variable in variables} == {
        "RABBITMQ_USER",
        "RABBITMQ_PASS",
        "MONGO_ROOT_USER",
        "MONGO_ROOT_PASS",
        *(f"RABBITMQ_{name.upper()}_PASS" for name in APP_PORTS),
        "PILAR_LINK_SECRET",
        "PILAR_METRICS_TOKEN",
        "GRAFANA_ADMIN_PASS",
    }


def test_app_services_share_one_definition() -> None:
    # The `x-service` anchor keeps the four service blocks from drifting apart.
    assert "x-service" in compose()
    assert compose_text().count("<<: *service\n") == len(APP_PORTS)


def test_dockerfile_installs_from_the_hashed_lock_as_non_root() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == "FROM python:3.11-slim AS build"
    # The image is the last stage: it takes the wheel from the build stage, nothing else.
    image = instructions[[i for i, line in enumerate(instructions) if line.startswith("FROM ")][-1] :]
    assert image[0] == "FROM python:3.11-slim"
    assert [line for line in image if line.startswith("COPY ")] == [
        "COPY requirements.lock ./",
        "COPY --from=build /wheels /wheels",
    ]
    instructions = image
    lock_install = instructions.index("RUN pip install --require-hashes -r requirements.lock")
    assert instructions.index("COPY requirements.lock ./") < lock_install
    assert lock_install < instructions.index("RUN pip install --no-deps /wheels/*.whl && rm -rf /wheels")
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def test_secrets_and_local_state_stay_out_of_git_and_the_image() -> None:
    ignored = set((ROOT / ".gitignore").read_text(encoding="utf-8").split())
    assert {".env", ".pilar/"} <= ignored
    docker_ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", ".pilar", ".env", "**/__pycache__", ".pytest_cache"} <= docker_ignored


def _locked(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return dict(line.split(" ")[0].split("==") for line in lines if re.match(r"^[a-z0-9]", line, re.I))


def test_the_image_lock_holds_runtime_dependencies_only_at_the_development_locks_versions() -> None:
    runtime, development = _locked("requirements.lock"), _locked("requirements-dev.lock")
    test_tools = {"pytest", "mypy", "ruff", "schemathesis", "hypothesis", "docker", "testcontainers"}
    development_only = {"secantusdb", "aiosmtpd", "pyyaml"}
    assert not (test_tools | development_only) & set(runtime)
    assert (test_tools | development_only) <= set(development)
    assert {name: development[name] for name in runtime} == runtime  # one version of each package in both


def test_services_share_one_tagged_image() -> None:
    images = {services()[name]["image"] for name in APP_PORTS}
    assert len(images) == 1 and ":" in images.pop()


def test_the_image_holds_no_development_code() -> None:
    copied = {line.split()[1] for line in dockerfile_instructions() if line.startswith("COPY ")}
    assert "pilar_dev" not in copied and "tests" not in copied
    # Production code may name the development package only behind the CLI's guard for its dev commands.
    for package in ("contracts", "pilar_runtime", "services", "pilar"):
        for path in (ROOT / package).rglob("*.py"):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if "pilar_dev" in line:
                    assert path == ROOT / "pilar" / "cli.py", (path, line)
