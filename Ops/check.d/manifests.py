#!/usr/bin/env python3
"""What a schema validator cannot see in Ops/k8s (Ops/check-deploy runs it after
kubernetes-validate, with the venv's Python, which has PyYAML):

    manifests.py K8S_DIR WORKER_HELP LANES_OUT

- KEDA's ScaledObject and TriggerAuthentication, for which kubernetes-validate has no
  schema: only the fields KEDA documents, redis-streams triggers with a stream, a
  consumer group and one of its three targets (as a string), a scale target that is
  the worker Deployment, an authentication that exists and reads keys the Secret has;
- references: every ConfigMap and Secret key a Deployment uses exists (the Secret's
  keys from redis-secret.example.yaml), kustomization.yaml lists every manifest but the
  example Secret;
- the worker: its options exist in `nightdesk worker --help`, and Kubernetes waits
  longer than its --grace before SIGKILL; the scheduler runs one replica, Recreate;
- no manifest but the example Secret holds a password.
Writes "STREAM GROUP" per trigger to LANES_OUT, for the live Redis check.
Prints nothing on success; each problem on stderr, exit 1.
"""
import os
import re
import sys

import yaml

sys.dont_write_bytecode = True

# From KEDA's documentation (ScaledObject spec, redis-streams scaler, TriggerAuthentication).
SCALED_OBJECT_SPEC = {"scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod",
                      "idleReplicaCount", "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers"}
SCALE_TARGET = {"apiVersion", "kind", "name", "envSourceContainerName"}
TRIGGER = {"type", "name", "metadata", "authenticationRef", "metricType", "useCachedMetrics"}
REDIS_STREAMS_METADATA = {"address", "addressFromEnv", "host", "hostFromEnv", "port", "portFromEnv",
                          "usernameFromEnv", "passwordFromEnv", "stream", "consumerGroup",
                          "pendingEntriesCount", "streamLength", "lagCount", "activationLagCount",
                          "enableTLS", "unsafeSsl", "databaseIndex"}
REDIS_STREAMS_TARGETS = ("pendingEntriesCount", "streamLength", "lagCount")
REDIS_AUTH_PARAMETERS = {"username", "password", "tls", "ca", "cert", "key", "keyPassword"}

problems = []


def problem(text):
    problems.append(text)


def load(directory):
    """{file name: [documents]}"""
    out = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".yaml"):
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                out[name] = [doc for doc in yaml.safe_load_all(handle) if doc]
    return out


def containers(deployment):
    return deployment["spec"]["template"]["spec"].get("containers", [])


def check_keda(resources, deployments, secret_keys, lanes):
    auths = {r["metadata"]["name"]: r for r in resources if r.get("kind") == "TriggerAuthentication"}
    for auth in auths.values():
        for ref in auth.get("spec", {}).get("secretTargetRef", []):
            if ref.get("parameter") not in REDIS_AUTH_PARAMETERS:
                problem(f"TriggerAuthentication {auth['metadata']['name']}: parameter '{ref.get('parameter')}' "
                        "is not one redis-streams takes")
            if ref.get("key") not in secret_keys.get(ref.get("name"), set()):
                problem(f"TriggerAuthentication {auth['metadata']['name']}: Secret {ref.get('name')} has no key "
                        f"'{ref.get('key')}' (redis-secret.example.yaml)")
    for scaled in (r for r in resources if r.get("kind") == "ScaledObject"):
        name = scaled["metadata"]["name"]
        spec = scaled.get("spec", {})
        for key in set(spec) - SCALED_OBJECT_SPEC:
            problem(f"ScaledObject {name}: spec.{key} is not a ScaledObject field")
        target = spec.get("scaleTargetRef", {})
        for key in set(target) - SCALE_TARGET:
            problem(f"ScaledObject {name}: scaleTargetRef.{key} is not a field")
        if target.get("name") not in deployments:
            problem(f"ScaledObject {name}: scales '{target.get('name')}', which no Deployment here is")
        low, high = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100)
        if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
            problem(f"ScaledObject {name}: replicas {low}...{high}; at least one worker must stay "
                    "(delayed retries are moved back into the lanes by workers only)")
        if not spec.get("triggers"):
            problem(f"ScaledObject {name}: no triggers")
        for index, trigger in enumerate(spec.get("triggers", [])):
            where = f"ScaledObject {name}: triggers[{index}]"
            for key in set(trigger) - TRIGGER:
                problem(f"{where}.{key} is not a trigger field")
            if trigger.get("type") != "redis-streams":
                problem(f"{where}: type {trigger.get('type')}; expected redis-streams")
                continue
            metadata = trigger.get("metadata", {})
            for key in set(metadata) - REDIS_STREAMS_METADATA:
                problem(f"{where}: metadata.{key} is not a redis-streams parameter")
            for key, value in metadata.items():
                if not isinstance(value, str):
                    problem(f"{where}: metadata.{key} must be a string (KEDA's metadata is a map of strings)")
            if not any(k in metadata for k in ("address", "addressFromEnv", "host", "hostFromEnv")):
                problem(f"{where}: no address or host")
            targets = [k for k in REDIS_STREAMS_TARGETS if k in metadata]
            if len(targets) != 1:
                problem(f"{where}: give exactly one of {', '.join(REDIS_STREAMS_TARGETS)} (got {targets})")
            stream, group = metadata.get("stream"), metadata.get("consumerGroup")
            if not stream or not group:
                problem(f"{where}: needs stream and consumerGroup")
            else:
                lanes.append((stream, group))
            auth = trigger.get("authenticationRef", {}).get("name")
            if auth and auth not in auths:
                problem(f"{where}: authenticationRef {auth} is not a TriggerAuthentication here")


def check_deployments(deployments, config_keys, secret_keys, worker_options):
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        for container in containers(deployment):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("configMapKeyRef")
                if ref and ref["key"] not in config_keys.get(ref["name"], set()):
                    problem(f"Deployment {name}: env {env['name']} reads key {ref['key']} that ConfigMap {ref['name']} lacks")
                if re.search(r"(?i)password", env["name"]) and "value" in env and not env["name"].endswith("_FILE"):
                    problem(f"Deployment {name}: env {env['name']} holds a password; mount it from the Secret as a file")
                if re.search(r"://[^@/\s]*:[^@/\s]*@", str(env.get("value", ""))):
                    problem(f"Deployment {name}: env {env['name']} has a password in its URL")
            ports = {port.get("name") for port in container.get("ports", [])} | {
                port["containerPort"] for port in container.get("ports", [])}
            for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                probe = container.get(kind, {}).get("httpGet")
                if probe and probe.get("port") not in ports:
                    problem(f"Deployment {name}: {kind} asks port {probe.get('port')}, which the container does not declare")
            args = container.get("args", [])
            if args[:1] == ["worker"]:
                for option in (a.split("=", 1)[0] for a in args if a.startswith("--")):
                    if option not in worker_options:
                        problem(f"Deployment {name}: the worker is given {option}, which `nightdesk worker --help` lacks")
                grace = float(args[args.index("--grace") + 1]) if "--grace" in args else 30.0
                waits = pod.get("terminationGracePeriodSeconds", 30)
                if waits <= grace + 10:
                    problem(f"Deployment {name}: terminationGracePeriodSeconds {waits} leaves no time beyond "
                            f"--grace {grace:g} to give jobs back before SIGKILL")
        for volume in pod.get("volumes", []):
            secret = volume.get("secret")
            if secret:
                for item in secret.get("items", []):
                    if item["key"] not in secret_keys.get(secret["secretName"], set()):
                        problem(f"Deployment {name}: volume {volume['name']} reads key {item['key']} that Secret "
                                f"{secret['secretName']} lacks (redis-secret.example.yaml)")
            config = volume.get("configMap")
            if config and config["name"] not in config_keys:
                problem(f"Deployment {name}: volume {volume['name']} mounts ConfigMap {config['name']}, which is not here")
    scheduler = deployments.get("nightdesk-scheduler")
    if scheduler and (scheduler["spec"].get("replicas") != 1 or scheduler["spec"].get("strategy", {}).get("type") != "Recreate"):
        problem("Deployment nightdesk-scheduler: must run exactly one replica, replaced by Recreate (two would submit twice)")


def main():
    directory, help_path, lanes_path = sys.argv[1:4]
    worker_options = set(re.findall(r"(--[a-z][a-z0-9-]*)", open(help_path, encoding="utf-8").read()))
    files = load(directory)
    resources = [doc for name, docs in files.items() if name != "kustomization.yaml" for doc in docs]
    deployments = {r["metadata"]["name"]: r for r in resources if r.get("kind") == "Deployment"}
    config_keys = {r["metadata"]["name"]: set(r.get("data", {})) for r in resources if r.get("kind") == "ConfigMap"}
    secret_keys = {r["metadata"]["name"]: set(r.get("stringData", {})) | set(r.get("data", {}))
                   for r in resources if r.get("kind") == "Secret"}

    kustomization = (files.get("kustomization.yaml") or [{}])[0]
    listed = set(kustomization.get("resources", []))
    wanted = {name for name in files if name != "kustomization.yaml" and not name.endswith(".example.yaml")}
    for name in sorted(wanted - listed):
        problem(f"kustomization.yaml does not list {name}")
    for name in sorted(listed - set(files)):
        problem(f"kustomization.yaml lists {name}, which does not exist")
    for name in sorted(listed & {n for n in files if n.endswith(".example.yaml")}):
        problem(f"kustomization.yaml lists the example {name}: its placeholder password would be applied")

    lanes = []
    check_keda(resources, deployments, secret_keys, lanes)
    check_deployments(deployments, config_keys, secret_keys, worker_options)
    for problem_text in problems:
        print(f"check-deploy: k8s: {problem_text}", file=sys.stderr)
    with open(lanes_path, "w", encoding="utf-8") as out:
        for stream, group in lanes:
            out.write(f"{stream} {group}\n")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
