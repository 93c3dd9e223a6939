"""Checks of the deployment files beyond their schemas: what a deploy needs and a schema cannot
say. `python deploy/check.py compose` and `python deploy/check.py k8s <rendered.yaml>...`
(make compose-check / make deploy-check run them with the tools of deploy/tools.txt)."""

import os
import subprocess
import sys
import tomllib

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = sorted(tomllib.load(open(os.path.join(ROOT, "config/base.toml"), "rb"))["services"])
GRACE = tomllib.load(open(os.path.join(ROOT, "config/base.toml"), "rb"))["server"]["shutdown_grace_secs"]
errors = []


def fail(msg):
    errors.append(msg)


def compose(binary):
    path = os.path.join(ROOT, "docker-compose.yml")
    doc = yaml.safe_load(open(path))
    services = doc["services"]
    for name in SERVICES + ["gateway"]:
        svc = services.get(name)
        if svc is None:
            fail(f"compose: no service {name}")
            continue
        # The anchor's keys are merged by YAML: a service without its own keeps the shared ones.
        if "healthcheck" not in svc:
            fail(f"compose: {name} has no healthcheck")
    deps = services["gateway"].get("depends_on", {})
    for name in SERVICES:
        if not isinstance(deps, dict) or deps.get(name, {}).get("condition") != "service_healthy":
            fail(f"compose: the gateway does not wait for {name} to be healthy")
    for name in ("postgres", "jaeger"):
        if name not in services:
            fail(f"compose: no {name}")
    # Production images refuse weak secrets; compose must not supply a default one.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CID_")}
    out = subprocess.run([binary, "-f", path, "config", "-q"], env=env, capture_output=True, text=True)
    if out.returncode == 0:
        fail("compose: resolves without CID_JWT_SECRET / CID_SECURITY_KEY (a default secret?)")
    env.update(CID_JWT_SECRET="x" * 48, CID_SECURITY_KEY="y" * 44)
    out = subprocess.run([binary, "-f", path, "config", "-q"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"compose: does not resolve with the secrets set: {out.stderr.strip()}")


def k8s(rendered):
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    if "Secret" in by_kind:
        fail(f"{rendered}: Secrets are written in the manifests; reference them instead")
    for name in ["cid-" + s for s in SERVICES] + ["cid-gateway"]:
        dep = by_kind.get("Deployment", {}).get(name)
        if dep is None:
            fail(f"{rendered}: no Deployment {name}")
            continue
        if name not in by_kind.get("Service", {}):
            fail(f"{rendered}: no Service {name}")
        pod = dep["spec"]["template"]["spec"]
        pod_sc = pod.get("securityContext", {})
        if not pod_sc.get("runAsNonRoot"):
            fail(f"{rendered}: {name} may run as root")
        stop = 0
        for c in pod["containers"]:
            sc = c.get("securityContext", {})
            if not sc.get("readOnlyRootFilesystem") or sc.get("allowPrivilegeEscalation", True):
                fail(f"{rendered}: {name}/{c['name']} has a writable root or may escalate")
            if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
                fail(f"{rendered}: {name} has no liveness probe on /health")
            if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
                fail(f"{rendered}: {name} has no readiness probe on /ready")
            if not c.get("resources", {}).get("requests") or "memory" not in c["resources"].get("limits", {}):
                fail(f"{rendered}: {name} has no requests or memory limit")
            stop = max(stop, c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0))
            for cm in c.get("envFrom", []):
                ref = cm.get("configMapRef", {}).get("name")
                if ref and ref not in by_kind.get("ConfigMap", {}):
                    fail(f"{rendered}: {name} reads a ConfigMap that is not there: {ref}")
        if pod.get("terminationGracePeriodSeconds", 30) <= stop + GRACE:
            fail(f"{rendered}: {name} is killed before its {GRACE} s shutdown grace ends")
    hpa = by_kind.get("HorizontalPodAutoscaler", {}).get("cid-gateway")
    if not hpa or hpa["spec"]["scaleTargetRef"]["name"] != "cid-gateway":
        fail(f"{rendered}: no autoscaler for the gateway")
    if "cid-gateway" not in by_kind.get("PodDisruptionBudget", {}):
        fail(f"{rendered}: no disruption budget for the gateway")


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "compose":
        compose(args[0])
    else:
        for f in args:
            k8s(f)
    for e in errors:
        print("error:", e, file=sys.stderr)
    sys.exit(1 if errors else 0)
