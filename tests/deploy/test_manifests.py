"""The deployment files in deploy/ checked by the tools their ecosystems use, offline."""

from __future__ import annotations

import inspect
import json
import shutil
import sys
from pathlib import Path

import yaml
from aiohttp import web

from bot.background import Background
from bot.delivery import LEASE_SECONDS
from tests.deploy.tools import DEPLOY, ROOT, need, run

KUBERNETES = DEPLOY / "kubernetes"
KUBERNETES_VERSION = "1.30.0"  # the oldest Kubernetes the manifests are meant for


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _manifests() -> dict[str, dict]:
    return {d["kind"]: d for p in sorted(KUBERNETES.glob("*.yaml")) for d in _docs(p)}


def _validate(*paths: Path) -> "object":
    tool = str(Path(sys.executable).with_name("kubernetes-validate"))
    return run(tool, "--strict", "-k", KUBERNETES_VERSION, *map(str, paths))


# -- Kubernetes ----------------------------------------------------------------------

def test_kubernetes_manifests_pass_the_api_schemas_strictly() -> None:
    paths = sorted(KUBERNETES.glob("*.yaml"))
    assert len(paths) >= 5
    result = _validate(*paths)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(paths), result.stdout


def test_the_schema_check_rejects_a_misspelled_field(tmp_path: Path) -> None:
    broken = (KUBERNETES / "deployment.yaml").read_text(encoding="utf-8").replace("readinessProbe:", "readynessProbe:")
    (tmp_path / "deployment.yaml").write_text(broken, encoding="utf-8")
    result = _validate(tmp_path / "deployment.yaml")
    assert result.returncode != 0
    assert "readynessProbe" in result.stdout + result.stderr


def test_deployment_runs_two_replicas_with_probes_secrets_and_a_grace_period_past_the_drain() -> None:
    kinds = _manifests()
    deployment, budget = kinds["Deployment"], kinds["PodDisruptionBudget"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert deployment["spec"]["replicas"] == 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"secretRef": {"name": kinds["Secret"]["metadata"]["name"]}} in container["envFrom"]
    assert not {e["name"] for e in container.get("env", [])} & set(kinds["Secret"]["stringData"])
    assert pod["securityContext"]["runAsNonRoot"] is True
    # Budget for SIGTERM: preStop, in-flight requests (aiohttp's shutdown timeout), one
    # delivery (a platform call of 10 s, then recording it for up to half a lease), and
    # the background drain. Raising any of them without the grace period fails here.
    in_flight = inspect.signature(web.BaseRunner.__init__).parameters["shutdown_timeout"].default
    drain = inspect.signature(Background.drain).parameters["timeout"].default
    pre_stop = float(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    needed = pre_stop + in_flight + 10 + LEASE_SECONDS / 2 + drain
    assert pod["terminationGracePeriodSeconds"] > needed
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert kinds["Service"]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_redis_is_reached_through_sentinel_or_an_address_in_the_secret() -> None:
    kinds = _manifests()
    config, secret = kinds["ConfigMap"]["data"], kinds["Secret"]["stringData"]
    assert config["REDIS_SENTINELS"] and config["REDIS_SENTINEL_MASTER"]
    assert "REDIS_URL" not in config  # it may hold a password: Secret only
    assert set(secret) >= {"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD"}


# -- Prometheus ----------------------------------------------------------------------

def test_alert_rules_pass_promtool_and_its_unit_tests() -> None:
    promtool = need("promtool", "prometheus")
    checked = run(promtool, "check", "rules", "alerts.yaml", cwd=DEPLOY / "prometheus")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = run(promtool, "test", "rules", "alerts.test.yaml", cwd=DEPLOY / "prometheus")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_alert_unit_tests_fail_when_a_rule_stops_firing(tmp_path: Path) -> None:
    promtool = need("promtool", "prometheus")
    shutil.copy(DEPLOY / "prometheus" / "alerts.test.yaml", tmp_path)
    rules = (DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8")
    (tmp_path / "alerts.yaml").write_text(rules.replace('kind="permanent"', 'kind="never"'), encoding="utf-8")
    tested = run(promtool, "test", "rules", "alerts.test.yaml", cwd=tmp_path)
    assert tested.returncode != 0
    assert "OnboardingBotNotificationsParked" in tested.stdout + tested.stderr


def _exported_metric_names() -> set[str]:
    """Every series name /metrics can carry, labelled families with no sample yet included."""
    from bot.metrics import Metrics

    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
                "gauge": ("",), "info": ("_info",)}
    names = set()
    for family in Metrics().registry.collect():
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ("",)))
    return names


def test_alerts_and_dashboard_use_only_metrics_the_bot_exports() -> None:
    import re

    exported = _exported_metric_names()
    texts = [(DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"),
             (DEPLOY / "grafana" / "onboarding-bot.json").read_text(encoding="utf-8")]
    used = {m for text in texts for m in re.findall(r"\b((?:bot|process|python)_[a-z_]+)\b", text)}
    assert used, "no metric found in the alerts or the dashboard"
    assert used <= exported, f"not exported by the bot: {sorted(used - exported)}"


def _bot_metric_labels() -> dict[str, set[str]]:
    """The label names of each of the bot's own metrics, by every series name it exports."""
    from prometheus_client.metrics import MetricWrapperBase

    from bot.metrics import Metrics

    suffixes = ("", "_total", "_bucket", "_count", "_sum")
    labels: dict[str, set[str]] = {}
    for metric in vars(Metrics()).values():
        if isinstance(metric, MetricWrapperBase):
            for suffix in suffixes:
                labels[metric._name + suffix] = set(metric._labelnames)  # noqa: SLF001 (no public accessor)
    return labels


def _promql_expressions() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"))
    board = json.loads((DEPLOY / "grafana" / "onboarding-bot.json").read_text(encoding="utf-8"))
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    exprs += [t["expr"] for p in board["panels"] for t in p.get("targets", []) if t.get("expr")]
    return exprs


def test_alerts_and_dashboard_group_and_filter_only_by_labels_the_metrics_have() -> None:
    # A label the metric does not have groups everything into one series and filters
    # nothing out: the query still runs, and silently says something else.
    import re

    labels = _bot_metric_labels()
    scraped = {"job", "instance", "le"}
    checked = 0
    for expr in _promql_expressions():
        metrics = set(re.findall(r"\b(bot_[a-z_]+)\b", expr))
        if not metrics or not metrics <= labels.keys():
            continue
        allowed = scraped.union(*(labels[m] for m in metrics))
        used = {name.strip() for group in re.findall(r"\bby \(([^)]*)\)", expr) for name in group.split(",")}
        used |= set(re.findall(r"[{,]\s*([a-z_]+)\s*=~?", expr))
        assert used <= allowed, f"{expr}: no such label {sorted(used - allowed)} on {sorted(metrics)}"
        checked += 1
    assert checked >= 10


# -- Grafana -------------------------------------------------------------------------

def test_dashboard_json_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "dashboard.json"
    built = run(sys.executable, str(DEPLOY / "grafana" / "dashboard.py"), "--out", str(out), cwd=ROOT)
    assert built.returncode == 0, built.stderr
    committed = (DEPLOY / "grafana" / "onboarding-bot.json").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run ./dev dashboard and commit the JSON"
    board = json.loads(committed)
    assert board["uid"] == "am11-onboarding-bot"
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert len(panels) >= 10 and all(p["targets"] and p["targets"][0]["expr"] for p in panels)


# -- Compose -------------------------------------------------------------------------

def test_compose_file_passes_docker_compose_config() -> None:
    compose = need("docker-compose", "docker-compose")
    result = run(compose, "-f", str(DEPLOY / "compose" / "compose.yaml"), "config")
    assert result.returncode == 0, result.stdout + result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"bot", "redis"}
    redis, bot = services["redis"], services["bot"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert bot["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    for service in (redis, bot):
        assert service["restart"] == "unless-stopped"
        assert service["healthcheck"]["test"][0] == "CMD"
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    assert (ROOT / bot["build"]["dockerfile"]).exists() or Path(bot["build"]["context"], bot["build"]["dockerfile"]).exists()


def test_docker_compose_config_rejects_a_misspelled_key(tmp_path: Path) -> None:
    compose = need("docker-compose", "docker-compose")
    text = (DEPLOY / "compose" / "compose.yaml").read_text(encoding="utf-8").replace("healthcheck:", "healthckeck:", 1)
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    result = run(compose, "-f", str(tmp_path / "compose.yaml"), "config")
    assert result.returncode != 0
    assert "healthckeck" in result.stdout + result.stderr
