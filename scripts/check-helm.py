#!/usr/bin/env python3
"""Checks helm/flightline without a helm binary (none can be installed here).

1. Chart.yaml is a v2 chart whose appVersion is Cargo.toml's version; values.yaml parses and
   every top-level value is documented by a comment.
2. Every `.Values.a.b` a template mentions exists in values.yaml (a typo renders as nothing in
   Helm, silently).
3. The chart is rendered (scripts/gotemplate.py: Go template semantics, the sprig functions the
   chart uses) with the default values and with variants; every manifest must be well-formed
   YAML with the fields Kubernetes requires, and the Flightline rules must hold: probes on
   /health and /readiness, non-root, read-only root file system, every capability dropped,
   every secret from a Secret reference, config keys that exist in config/default.toml, the
   ingress wildcard host, the migration hook, selectors that match the pods, and so on.
4. The Dockerfile and the chart agree (user id, port, entrypoint) and the HEALTHCHECK is valid.

Usage: scripts/check-helm.py [--print SCENARIO]   (prints the rendered manifests)
Exit status 0 when every check passes; every failure is listed.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tomllib
from pathlib import Path

try:
    import yaml
except ImportError:  # scripts/check-deploy installs it
    sys.exit("check-helm: PyYAML is missing (pip install pyyaml)")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from gotemplate import TemplateError, helm_numbers, render_chart  # noqa: E402

CHART = ROOT / "helm" / "flightline"

# Every secret the service reads; each must come from a Secret reference.
SECRET_ENV = {
    "DATABASE_URL": True,  # required (optional: false)
    "REDIS_URL": False,
    "FLIGHTLINE__AUTH__JWT_SECRET": True,
    "FLIGHTLINE__SECURITY__DATA_KEY": True,
    "FLIGHTLINE__MAIL__SMTP_URL": False,
    "FLIGHTLINE__BILLING__STRIPE_SECRET_KEY": False,
    "FLIGHTLINE__BILLING__STRIPE_WEBHOOK_SECRET": False,
    "FLIGHTLINE__BILLING__STRIPE_CONNECT_WEBHOOK_SECRET": False,
    "FLIGHTLINE__PLATFORM__BOOTSTRAP_PASSWORD": False,
    "FLIGHTLINE__DATABASE__DIRECT_URL": False,
}

# `.Values` paths templates may read although values.yaml leaves them out (nil means default).
OPTIONAL_VALUE_PATHS = {
    "secrets.env.FLIGHTLINE__DATABASE__DIRECT_URL.secretName",
}

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

errors: list[str] = []

# Served to the cluster only (probes, Prometheus), never through the ingress.
INTERNAL_ROUTES = ("/health", "/readiness", "/metrics")


def public_routes() -> list[str]:
    """The paths of the OpenAPI snapshot (tests/api/snapshots) plus the documents themselves."""
    snap = (ROOT / "tests" / "api" / "snapshots" / "api__openapi__openapi.snap").read_text()
    spec = json.loads(snap[snap.index("{"):])
    paths = [p for p in spec["paths"] if not p.startswith(INTERNAL_ROUTES)]
    return sorted(set(paths) | {"/docs", "/openapi.json"})


def fail(msg: str) -> None:
    errors.append(msg)


def check(cond: bool, msg: str) -> bool:
    if not cond:
        fail(msg)
    return cond


# --------------------------------------------------------------------------- inputs


def load_values() -> tuple[dict, str]:
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    if not isinstance(values, dict):
        sys.exit("check-helm: values.yaml is not a mapping")
    return values, text


def templates() -> dict[str, str]:
    out = {}
    for path in sorted((CHART / "templates").iterdir()):
        if path.suffix in (".yaml", ".yml", ".tpl", ".txt"):
            out[f"flightline/templates/{path.name}"] = path.read_text()
    return out


def cargo_version() -> str:
    return tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]


def config_keys() -> dict[str, set[str]]:
    """section -> keys of config/default.toml, plus the documented secret-only keys."""
    default = tomllib.loads((ROOT / "config" / "default.toml").read_text())
    keys = {section: set(table) for section, table in default.items() if isinstance(table, dict)}
    doc = (ROOT / "docs" / "configuration.md").read_text()
    for section, key in re.findall(r"^\| `([a-z0-9_]+)\.([a-z0-9_]+)`", doc, re.M):
        keys.setdefault(section, set()).add(key)
    return keys


# --------------------------------------------------------------------------- static checks


def check_chart_yaml() -> dict:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    check(chart.get("apiVersion") == "v2", "Chart.yaml: apiVersion must be v2")
    check(chart.get("name") == CHART.name, f"Chart.yaml: name must be {CHART.name}")
    check(
        bool(re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", str(chart.get("version", "")))),
        "Chart.yaml: version must be SemVer",
    )
    check(
        str(chart.get("appVersion")) == cargo_version(),
        f"Chart.yaml: appVersion {chart.get('appVersion')!r} != Cargo.toml version {cargo_version()!r}",
    )
    return chart


def check_values_documented(text: str) -> None:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):", line)
        if not m:
            continue
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        # A top-level key is documented by the comment right above it, or belongs to a group
        # of keys right under one (e.g. nodeSelector/tolerations/affinity).
        while j >= 0 and re.match(r"^[A-Za-z_]", lines[j]) and not lines[j].startswith("#"):
            j -= 1
        check(j >= 0 and lines[j].startswith("#"), f"values.yaml: `{m.group(1)}` has no comment")


def value_paths(values: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in values.items():
        path = f"{prefix}{k}"
        out.add(path)
        if isinstance(v, dict):
            out |= value_paths(v, path + ".")
    return out


def check_value_references(values: dict, tpls: dict[str, str]) -> None:
    known = value_paths(values)
    for name, src in tpls.items():
        for m in re.finditer(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", src):
            path = m.group(1)[1:]
            line = src.count("\n", 0, m.start()) + 1
            if path in known or path in OPTIONAL_VALUE_PATHS:
                continue
            fail(f"{name}:{line}: .Values.{path} is not in values.yaml")


def check_config_values(values: dict, keys: dict[str, set[str]]) -> None:
    for section, table in (values.get("config") or {}).items():
        if not check(isinstance(table, dict), f"values.yaml: config.{section} must be a mapping"):
            continue
        for key in table:
            check(
                key in keys.get(section, set()),
                f"values.yaml: config.{section}.{key} is not a Flightline setting "
                "(config/default.toml, docs/configuration.md)",
            )
            check(
                f"FLIGHTLINE__{section.upper()}__{key.upper()}" not in SECRET_ENV,
                f"values.yaml: config.{section}.{key} is a secret; use secrets.env",
            )
    env = (values.get("secrets") or {}).get("env") or {}
    for name, required in SECRET_ENV.items():
        ref = env.get(name)
        if not check(isinstance(ref, dict), f"values.yaml: secrets.env.{name} is missing"):
            continue
        check(bool(ref.get("key")), f"values.yaml: secrets.env.{name}.key is empty")
        if required:
            check(ref.get("optional") is False, f"values.yaml: secrets.env.{name} must not be optional")


# --------------------------------------------------------------------------- rendering


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


SCENARIOS = {
    "defaults": {},
    "everything": {
        "fullnameOverride": "fl",
        "image": {"repository": "registry.example/flightline", "tag": "1.2.3"},
        "imagePullSecrets": [{"name": "registry"}],
        "autoscaling": {"enabled": False, "targetMemoryUtilizationPercentage": 80},
        "replicaCount": 3,
        "config": {
            "database": {"pgbouncer": True, "max_connections": 1048576},
            "server": {"body_limit_bytes": 2097152},
        },
        "secrets": {"env": {"REDIS_URL": {"key": "url", "secretName": "redis", "optional": False}}},
        "extraEnv": [{"name": "RUST_LOG", "value": "info"}],
        "ingress": {"className": "nginx", "consoleHost": "app.flightline.example.com",
                    "annotations": {"example/annotation": "x"}, "tls": {"secretName": "wildcard"},
                    "tenantAffinity": {"enabled": False}},
        "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
        "podAnnotations": {"example/pod": "y"},
        "podLabels": {"team": "ops"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Exists"}],
        "serviceAccountName": "flightline",
    },
    "minimal": {
        "nameOverride": "fl-min",
        "ingress": {"enabled": False},
        "migrations": {"enabled": False},
        "autoscaling": {"enabled": False},
        "podDisruptionBudget": {"enabled": False},
        "topologySpread": {"enabled": False},
        "preStopSleepSeconds": 0,
    },
}

# Must fail to render, with this text in the error.
FAILING = {
    "ingress-without-base-domain": ({"config": {"tenancy": {"base_domain": ""}}}, "base_domain is required"),
    "secret-without-key": ({"secrets": {"env": {"REDIS_URL": {"key": ""}}}}, "secrets.env.REDIS_URL.key is required"),
}


def context(values: dict, chart: dict) -> dict:
    return {
        "Values": helm_numbers(values),
        "Chart": {"Name": chart["name"], "Version": chart["version"], "AppVersion": str(chart["appVersion"])},
        "Release": {"Name": "flightline", "Namespace": "flightline", "Service": "Helm",
                    "IsInstall": True, "IsUpgrade": False, "Revision": 1.0},
        "Capabilities": {"KubeVersion": {"Version": "v1.30.0"}},
        "Files": {},
    }


def render(values: dict, chart: dict) -> tuple[list[tuple[str, dict]], str]:
    rendered = render_chart(templates(), context(values, chart))
    docs = []
    notes = ""
    for name, text in sorted(rendered.items()):
        if name.endswith("NOTES.txt"):
            notes = text
            continue
        try:
            for doc in yaml.safe_load_all(text):
                if doc is None:
                    continue
                if not isinstance(doc, dict):
                    fail(f"{name}: a document is not a mapping")
                    continue
                docs.append((name, doc))
        except yaml.YAMLError as e:
            numbered = "\n".join(f"{i + 1:4} {l}" for i, l in enumerate(text.splitlines()))
            fail(f"{name}: rendered YAML does not parse: {e}\n{numbered}")
    return docs, notes


# --------------------------------------------------------------------------- manifest checks


def labels_ok(where: str, labels: dict | None) -> None:
    for k, v in (labels or {}).items():
        check(isinstance(v, str), f"{where}: label {k} must be a string, got {v!r}")
        if isinstance(v, str):
            check(len(v) <= 63 and bool(LABEL_VALUE.match(v)), f"{where}: label {k}={v!r} is invalid")


def subset(small: dict, big: dict) -> bool:
    return all(big.get(k) == v for k, v in small.items())


def check_container_security(where: str, pod: dict, container: dict) -> None:
    psc = pod.get("securityContext") or {}
    sc = container.get("securityContext") or {}
    check(sc.get("runAsNonRoot") is True or psc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot")
    uid = sc.get("runAsUser", psc.get("runAsUser"))
    check(isinstance(uid, int) and uid > 0, f"{where}: runAsUser must be a non-zero uid")
    check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation: false")
    check("ALL" in ((sc.get("capabilities") or {}).get("drop") or []), f"{where}: capabilities.drop ALL")
    check(pod.get("automountServiceAccountToken") is False, f"{where}: automountServiceAccountToken: false")
    mounts = {m.get("mountPath") for m in container.get("volumeMounts") or []}
    check("/tmp" in mounts, f"{where}: a writable /tmp (read-only root file system)")


def check_env(where: str, container: dict, values: dict, *, job: bool) -> dict[str, dict]:
    env = container.get("env") or []
    names = [e.get("name") for e in env]
    dupes = {n for n in names if names.count(n) > 1}
    check(not dupes, f"{where}: duplicate env {sorted(dupes)}")
    by_name = {e.get("name"): e for e in env}
    pgbouncer = bool(values["config"].get("database", {}).get("pgbouncer"))
    for name, required in SECRET_ENV.items():
        if job and pgbouncer and name == "FLIGHTLINE__DATABASE__DIRECT_URL":
            check(name not in by_name, f"{where}: the migration job uses DIRECT_URL as DATABASE_URL")
            continue
        e = by_name.get(name)
        if not check(e is not None, f"{where}: env {name} missing"):
            continue
        check("value" not in e, f"{where}: {name} is a secret and must not have a literal value")
        ref = ((e.get("valueFrom") or {}).get("secretKeyRef")) or {}
        check(bool(ref.get("name")) and bool(ref.get("key")), f"{where}: {name} needs secretKeyRef name and key")
        if required and not (job and pgbouncer and name == "DATABASE_URL"):
            check(ref.get("optional") is False, f"{where}: {name} must not be optional")
        if pgbouncer and name == "FLIGHTLINE__DATABASE__DIRECT_URL":
            check(ref.get("optional") is False, f"{where}: with PgBouncer, {name} is required")
    for e in env:
        if "value" in e:
            check(isinstance(e["value"], str), f"{where}: env {e.get('name')} value must be a string")
    return by_name


def check_probe(where: str, probe: dict | None, path: str, ports: set) -> None:
    if not check(isinstance(probe, dict), f"{where}: probe missing"):
        return
    http = probe.get("httpGet") or {}
    check(http.get("path") == path, f"{where}: path must be {path}, is {http.get('path')}")
    check(http.get("port") in ports, f"{where}: port {http.get('port')} is not a container port")


def check_manifests(scenario: str, values: dict, docs: list[tuple[str, dict]], notes: str) -> None:
    kinds: dict[str, list[dict]] = {}
    for name, doc in docs:
        where = f"[{scenario}] {name}"
        for field in ("apiVersion", "kind"):
            check(isinstance(doc.get(field), str) and doc[field], f"{where}: {field} missing")
        meta = doc.get("metadata") or {}
        n = meta.get("name")
        check(isinstance(n, str) and len(n) <= 63 and bool(DNS_LABEL.match(n or "")), f"{where}: metadata.name {n!r} invalid")
        labels_ok(where, meta.get("labels"))
        check("app.kubernetes.io/instance" in (meta.get("labels") or {}), f"{where}: standard labels missing")
        for k, v in (meta.get("annotations") or {}).items():
            check(isinstance(v, str), f"{where}: annotation {k} must be a string")
        kinds.setdefault(doc.get("kind"), []).append(doc)

    ingress_on = values["ingress"]["enabled"]
    expected = {
        "Deployment": 1, "Service": 1, "ConfigMap": 1,
        "Ingress": int(ingress_on),
        "Job": int(values["migrations"]["enabled"]),
        "HorizontalPodAutoscaler": int(values["autoscaling"]["enabled"]),
        "PodDisruptionBudget": int(values["podDisruptionBudget"]["enabled"]),
        "ServiceMonitor": int(values["serviceMonitor"]["enabled"]),
    }
    for kind, count in expected.items():
        check(len(kinds.get(kind, [])) == count, f"[{scenario}] expected {count} {kind}, got {len(kinds.get(kind, []))}")
    unexpected = set(kinds) - set(expected)
    check(not unexpected, f"[{scenario}] unexpected kinds {sorted(unexpected)}")
    check(bool(notes.strip()), f"[{scenario}] NOTES.txt renders empty")

    dep = (kinds.get("Deployment") or [None])[0]
    if dep is None:
        return
    w = f"[{scenario}] Deployment"
    spec = dep["spec"]
    pod_meta = spec["template"]["metadata"]
    pod_labels = pod_meta.get("labels") or {}
    labels_ok(w + " pod", pod_labels)
    selector = spec["selector"]["matchLabels"]
    check(subset(selector, pod_labels), f"{w}: selector {selector} does not match pod labels")
    if values["autoscaling"]["enabled"]:
        check("replicas" not in spec, f"{w}: replicas must be left to the HPA")
    else:
        check(spec.get("replicas") == values["replicaCount"], f"{w}: replicas != replicaCount")
    check("checksum/config" in (pod_meta.get("annotations") or {}), f"{w}: checksum/config annotation")
    pod = spec["template"]["spec"]
    containers = pod["containers"]
    check(len(containers) == 1, f"{w}: one container")
    c = containers[0]
    check(isinstance(c.get("image"), str) and ":" in c["image"], f"{w}: image with a tag")
    check(c.get("args") == ["serve"], f"{w}: args must be [serve]")
    ports = {p.get("name") for p in c.get("ports") or []} | {p.get("containerPort") for p in c.get("ports") or []}
    check(values["containerPort"] in ports, f"{w}: containerPort")
    check_probe(w + " livenessProbe", c.get("livenessProbe"), "/health", ports)
    check_probe(w + " readinessProbe", c.get("readinessProbe"), "/readiness", ports)
    check_probe(w + " startupProbe", c.get("startupProbe"), "/health", ports)
    res = c.get("resources") or {}
    check(bool((res.get("requests") or {}).get("cpu")) and bool((res.get("requests") or {}).get("memory")), f"{w}: resource requests")
    check(bool((res.get("limits") or {}).get("memory")), f"{w}: memory limit")
    check_container_security(w, pod, c)
    check_env(w, c, values, job=False)

    cms = kinds.get("ConfigMap") or []
    if cms:
        cm = cms[0]
        refs = [e.get("configMapRef", {}).get("name") for e in c.get("envFrom") or []]
        check(cm["metadata"]["name"] in refs, f"{w}: envFrom must reference the ConfigMap")
        data = cm.get("data") or {}
        keys = config_keys()
        for k, v in data.items():
            check(isinstance(v, str), f"[{scenario}] ConfigMap {k}: value must be a string")
            check(not re.fullmatch(r"-?\d+(\.\d+)?e[+-]\d+", str(v)), f"[{scenario}] ConfigMap {k}={v}: a number printed as float64")
            check(k not in SECRET_ENV, f"[{scenario}] ConfigMap holds secret {k}")
            m = re.fullmatch(r"FLIGHTLINE__([A-Z0-9_]+?)__([A-Z0-9_]+)", k)
            if m:
                section, key = m.group(1).lower(), m.group(2).lower()
                check(key in keys.get(section, set()), f"[{scenario}] ConfigMap {k}: no setting {section}.{key}")
            else:
                check(k == "FLIGHTLINE_ENV", f"[{scenario}] ConfigMap {k}: unexpected variable")
        check(data.get("FLIGHTLINE_ENV") == values["environment"], f"[{scenario}] ConfigMap FLIGHTLINE_ENV")
        check(data.get("FLIGHTLINE__SERVER__LISTEN") == f"0.0.0.0:{values['containerPort']}", f"[{scenario}] ConfigMap listen address")
        for section, table in values["config"].items():
            for key, value in table.items():
                want = str(value).lower() if isinstance(value, bool) else str(value)
                got = data.get(f"FLIGHTLINE__{section.upper()}__{key.upper()}")
                check(got == want, f"[{scenario}] ConfigMap {section}.{key} = {got!r}, want {want!r}")

    for svc in kinds.get("Service") or []:
        ws = f"[{scenario}] Service"
        check(subset(svc["spec"]["selector"], pod_labels), f"{ws}: selector does not match pods")
        for p in svc["spec"]["ports"]:
            check(p.get("targetPort") in ports, f"{ws}: targetPort {p.get('targetPort')} is not a container port")

    for ing in kinds.get("Ingress") or []:
        wi = f"[{scenario}] Ingress"
        base = values["config"]["tenancy"]["base_domain"]
        console = values["ingress"]["consoleHost"] or base
        hosts = [r.get("host") for r in ing["spec"]["rules"]]
        check(f"*.{base}" in hosts, f"{wi}: wildcard host *.{base} missing ({hosts})")
        check(console in hosts, f"{wi}: console host {console} missing")
        svc_name = kinds["Service"][0]["metadata"]["name"]
        svc_port = kinds["Service"][0]["spec"]["ports"][0]["port"]
        for r in ing["spec"]["rules"]:
            paths = r["http"]["paths"]
            check(bool(paths), f"{wi}: {r.get('host')} routes nothing")
            for p in paths:
                check(p.get("pathType") in ("Prefix", "Exact", "ImplementationSpecific"), f"{wi}: pathType")
                check(not str(p.get("path")).startswith(("/metrics", "/readiness")), f"{wi}: {p.get('path')} must stay inside the cluster")
                be = p["backend"]["service"]
                check(be["name"] == svc_name and be["port"]["number"] == svc_port, f"{wi}: backend must be the Service")
        # Every route the service answers from outside (the OpenAPI document's paths, less the
        # probes and metrics that stay inside the cluster) must reach it from the console host:
        # `/webhooks/stripe` sits outside `/api`, and without it Stripe got 404 and paid
        # tenants were suspended at the end of their trial.
        console_paths = [
            p["path"] for r in ing["spec"]["rules"] if r.get("host") == console
            for p in r["http"]["paths"]
        ]
        for route in public_routes():
            check(
                any(route == p or route.startswith(p.rstrip("/") + "/") for p in console_paths),
                f"{wi}: {route} is not routed to the service (ingress.paths: {console_paths})",
            )
        # Tenant affinity: one tenant's requests hash to one replica (docs/operations.md).
        affinity = values["ingress"]["tenantAffinity"]
        annotations = ing["metadata"].get("annotations") or {}
        for key, value in (values["ingress"].get("annotations") or {}).items():
            check(annotations.get(key) == value, f"{wi}: annotation {key} lost")
        if affinity["enabled"]:
            check(
                annotations.get(affinity["annotation"]) == affinity["hashBy"],
                f"{wi}: tenant affinity annotation missing ({annotations})",
            )
            check("$host" in affinity["hashBy"] and "$http_x_tenant_id" in affinity["hashBy"],
                  f"{wi}: the affinity key must name the tenant (host and X-Tenant-ID)")
        else:
            check(affinity["annotation"] not in annotations, f"{wi}: affinity annotation while disabled")
        if values["ingress"]["tls"]["secretName"]:
            tls_hosts = [h for t in ing["spec"].get("tls") or [] for h in t.get("hosts") or []]
            check(set(hosts) <= set(tls_hosts), f"{wi}: TLS must cover {hosts}")

    for job in kinds.get("Job") or []:
        wj = f"[{scenario}] Job"
        hooks = (job["metadata"].get("annotations") or {}).get("helm.sh/hook", "")
        check({"pre-install", "pre-upgrade"} <= set(hooks.split(",")), f"{wj}: must be a pre-install,pre-upgrade hook")
        jpod = job["spec"]["template"]["spec"]
        check(jpod.get("restartPolicy") == "Never", f"{wj}: restartPolicy Never")
        jc = jpod["containers"][0]
        check(jc.get("args") == ["migrate"], f"{wj}: args must be [migrate]")
        check(jc.get("image") == c.get("image"), f"{wj}: same image as the Deployment")
        check_container_security(wj, jpod, jc)
        env = check_env(wj, jc, values, job=True)
        check("envFrom" not in jc, f"{wj}: a hook cannot use the release's ConfigMap (created after it)")
        if values["config"].get("database", {}).get("pgbouncer"):
            check(env.get("FLIGHTLINE__DATABASE__PGBOUNCER", {}).get("value") == "false", f"{wj}: migrations must bypass PgBouncer")
            key = values["secrets"]["env"]["FLIGHTLINE__DATABASE__DIRECT_URL"]["key"]
            ref = ((env.get("DATABASE_URL") or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
            check(ref.get("key") == key, f"{wj}: DATABASE_URL must be the direct URL")
        if cms:
            for k, v in (cms[0].get("data") or {}).items():
                if k == "FLIGHTLINE__DATABASE__PGBOUNCER":
                    continue
                check((env.get(k) or {}).get("value") == v, f"{wj}: {k} differs from the ConfigMap")

    for hpa in kinds.get("HorizontalPodAutoscaler") or []:
        wh = f"[{scenario}] HPA"
        ref = hpa["spec"]["scaleTargetRef"]
        check(ref.get("kind") == "Deployment" and ref.get("name") == dep["metadata"]["name"], f"{wh}: must target the Deployment")
        check(1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], f"{wh}: 1 <= min <= max")
        check(bool(hpa["spec"].get("metrics")), f"{wh}: metrics")

    for pdb in kinds.get("PodDisruptionBudget") or []:
        check(subset(pdb["spec"]["selector"]["matchLabels"], pod_labels), f"[{scenario}] PDB selector does not match pods")

    for sm in kinds.get("ServiceMonitor") or []:
        svc_ports = {p.get("name") for p in kinds["Service"][0]["spec"]["ports"]}
        check(subset(sm["spec"]["selector"]["matchLabels"], kinds["Service"][0]["metadata"]["labels"]), f"[{scenario}] ServiceMonitor selector does not match the Service")
        for ep in sm["spec"]["endpoints"]:
            check(ep.get("port") in svc_ports and ep.get("path") == "/metrics", f"[{scenario}] ServiceMonitor endpoint")


# --------------------------------------------------------------------------- the renderer itself

RENDERER_CASES = [
    # (template, values, expected output or the start of the expected error as "!error")
    ("a {{- 1 -}} b\n{{ 2 }}  c", {}, "a1b\n2  c"),
    ("{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}", {"m": {"b": 2, "a": 1}}, "a=1;b=2;"),
    ("{{ .Values.n }} {{ .Values.big }} {{ int .Values.big }}", {"n": 16, "big": 1048576}, "16 1.048576e+06 1048576"),
    ("{{ .Values.missing }}|{{ default \"d\" .Values.missing }}", {}, "|d"),
    ("{{ .Values.missing.x }}", {}, "!error"),
    ("{{ if .Values.f }}y{{ else if .Values.t }}t{{ else }}n{{ end }}", {"f": False, "t": True}, "t"),
    ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}", {}, "2"),
    ("{{ with .Values.m }}{{ .a }}{{ end }}{{ with .Values.e }}x{{ else }}e{{ end }}", {"m": {"a": "A"}, "e": {}}, "Ae"),
    ("{{ list 1 2 | toJson }} {{ dict \"k\" true | toYaml }}", {}, "[1,2] k: true"),
    ("{{ \"a\\nb\" | nindent 2 }}", {}, "\n  a\n  b"),
    ("{{ and 1 0 }} {{ or 0 \"\" \"x\" }} {{ not .Values.e }}", {"e": []}, "0 x true"),
    ("{{ printf \"%d\" .Values.n }}", {"n": 1}, "!error"),
    ("{{ nosuchfunction 1 }}", {}, "!error"),
    ("{{ if true }}unclosed", {}, "!error"),
    ("{{- define \"t\" -}}<{{ . }}>{{- end -}}{{ include \"t\" 5 | quote }}", {}, '"<5>"'),
]


def check_renderer() -> None:
    for i, (src, vals, want) in enumerate(RENDERER_CASES):
        try:
            got = render_chart({f"c/templates/case{i}.yaml": src}, {"Values": helm_numbers(vals)})
            out = got[f"c/templates/case{i}.yaml"]
            check(want != "!error" and out == want, f"renderer case {i}: {src!r} gave {out!r}, want {want!r}")
        except TemplateError as e:
            check(want == "!error", f"renderer case {i}: {src!r} failed: {e}")


# --------------------------------------------------------------------------- Dockerfile


def check_dockerfile(values: dict) -> None:
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    m = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$", joined, re.M)
    if check(m is not None, "Dockerfile: HEALTHCHECK ... CMD [exec form] missing"):
        try:
            cmd = json.loads(m.group(1))
            check(isinstance(cmd, list) and all(isinstance(x, str) for x in cmd), "Dockerfile: HEALTHCHECK CMD must be a JSON array of strings")
            check(f"/{values['containerPort']}" in " ".join(cmd) and "/health" in " ".join(cmd), "Dockerfile: HEALTHCHECK must ask /health on the container port")
        except json.JSONDecodeError as e:
            fail(f"Dockerfile: HEALTHCHECK CMD is not valid JSON: {e}")
    user = re.search(r"^USER\s+(\d+)(?::(\d+))?\s*$", text, re.M)
    if check(user is not None, "Dockerfile: USER must be a numeric uid (runAsNonRoot)"):
        check(int(user.group(1)) == values["podSecurityContext"]["runAsUser"], "Dockerfile USER != podSecurityContext.runAsUser")
    check('ENTRYPOINT ["flightline"]' in text and 'CMD ["serve"]' in text, 'Dockerfile: ENTRYPOINT ["flightline"] CMD ["serve"]')
    check(f"EXPOSE {values['containerPort']}" in text, "Dockerfile: EXPOSE != containerPort")
    check("FLIGHTLINE_CONFIG_DIR=" in text and "FLIGHTLINE_ENV=production" in text, "Dockerfile: FLIGHTLINE_CONFIG_DIR and FLIGHTLINE_ENV")


# --------------------------------------------------------------------------- main


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--print":
        values, _ = load_values()
        chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
        merged = deep_merge(values, SCENARIOS[sys.argv[2]])
        for name, text in sorted(render_chart(templates(), context(merged, chart)).items()):
            print(f"---\n# Source: {name}\n{text}")
        return 0
    check_renderer()
    chart = check_chart_yaml()
    values, text = load_values()
    tpls = templates()
    check_values_documented(text)
    check_value_references(values, tpls)
    check_config_values(values, config_keys())
    check_dockerfile(values)
    for scenario, override in SCENARIOS.items():
        merged = deep_merge(values, override)
        try:
            docs, notes = render(merged, chart)
        except TemplateError as e:
            fail(f"[{scenario}] render: {e}")
            continue
        check_manifests(scenario, merged, docs, notes)
    for scenario, (override, expected) in FAILING.items():
        try:
            render(deep_merge(values, override), chart)
            fail(f"[{scenario}] rendered, but must fail with {expected!r}")
        except TemplateError as e:
            check(expected in str(e), f"[{scenario}] failed with {e}, expected {expected!r}")
    if errors:
        for e in errors:
            print(f"check-helm: {e}", file=sys.stderr)
        print(f"check-helm: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"check-helm: chart OK ({len(SCENARIOS)} value sets rendered, {len(FAILING)} refused as expected)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
