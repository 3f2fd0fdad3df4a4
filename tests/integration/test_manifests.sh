#!/usr/bin/env bash
# test_manifests.sh - deploy/kubernetes/ parsed and checked against the code that reads
# it: every document a named Kubernetes object; the agent's ServiceAccount bound to a
# role that may list pods (what agent/sources.c asks); NODE_NAME from spec.nodeName and
# the token from a Secret (what targets.c reads); the ConfigMaps' files checked by the
# real parsers (leakfleet-agent --check, leakfleet analyze --config); ports, paths and
# names agreeing across config, containers, volumes and the Service; the example's
# annotations being those agent/discovery.c reads. No cluster is needed.
set -euo pipefail
cd "$(dirname "$0")/../.."

T=$(mktemp -d "${TMPDIR:-/tmp}/lf-manifests.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x bin/leakfleet ] && [ -x bin/leakfleet-agent ] || fail "not built (make)"
python3 -c 'import yaml' 2>/dev/null || fail "python3-yaml is missing"

python3 - "$T" <<'PY'
import glob, os, re, sys, yaml

out = sys.argv[1]
docs = []
for path in sorted(glob.glob("deploy/kubernetes/*.yaml")):
    with open(path) as f:
        for d in yaml.safe_load_all(f):
            if d is None:
                continue
            for key in ("apiVersion", "kind", "metadata"):
                assert key in d, "%s: a document without %s" % (path, key)
            assert d["metadata"].get("name"), "%s: a %s without a name" % (path, d["kind"])
            docs.append((path, d))
print("ok: %d objects in %d files" % (len(docs), len({p for p, _ in docs})))

def one(kind, name):
    found = [d for _, d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, "expected one %s %s, found %d" % (kind, name, len(found))
    return found[0]

def container(workload, name):
    for c in workload["spec"]["template"]["spec"]["containers"]:
        if c["name"] == name:
            return c
    raise AssertionError("%s has no container %s" % (workload["metadata"]["name"], name))

def env(c, name):
    for e in c.get("env", []):
        if e["name"] == name:
            return e
    raise AssertionError("container %s has no env %s" % (c["name"], name))

def mount_of(workload, c, path):
    """The volume mounted at the directory holding path."""
    best = None
    for m in c.get("volumeMounts", []):
        if path == m["mountPath"] or path.startswith(m["mountPath"].rstrip("/") + "/"):
            if best is None or len(m["mountPath"]) > len(best["mountPath"]):
                best = m
    assert best is not None, "%s: nothing mounted at %s" % (c["name"], path)
    return best

ns = one("Namespace", "leakfleet")["metadata"]["name"]

# ---- the agent -------------------------------------------------------------------------
ds = one("DaemonSet", "leakfleet-agent")
assert ds["metadata"]["namespace"] == ns
pod = ds["spec"]["template"]
assert ds["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(), \
    "the DaemonSet's selector does not select its pods"
sa_name = pod["spec"]["serviceAccountName"]
one("ServiceAccount", sa_name)
bindings = [d for _, d in docs if d["kind"] in ("ClusterRoleBinding", "RoleBinding") and
            any(s["kind"] == "ServiceAccount" and s["name"] == sa_name and s.get("namespace") == ns
                for s in d["subjects"])]
assert bindings, "no binding for the agent's ServiceAccount"
role = one(bindings[0]["roleRef"]["kind"], bindings[0]["roleRef"]["name"])
assert bindings[0]["kind"] == "ClusterRoleBinding" and role["kind"] == "ClusterRole", \
    "the agent lists pods in every namespace: it needs a ClusterRole"
assert any("" in r["apiGroups"] and "pods" in r["resources"] and "list" in r["verbs"]
           for r in role["rules"]), "the agent's role cannot list pods"
print("ok: the agent's ServiceAccount %s may list pods (ClusterRole %s)" % (sa_name, role["metadata"]["name"]))
agent = container(ds, "agent")
node = env(agent, "NODE_NAME")["valueFrom"]["fieldRef"]["fieldPath"]
assert node == "spec.nodeName", "NODE_NAME comes from %s" % node
token = env(agent, "LEAKFLEET_AGENT_TOKEN")["valueFrom"]["secretKeyRef"]
print("ok: NODE_NAME from spec.nodeName, the token from Secret %s" % token["name"])
cfg_mount = mount_of(ds, agent, "/etc/leakfleet/agent.yaml")
volume = [v for v in pod["spec"]["volumes"] if v["name"] == cfg_mount["name"]][0]
cm = one("ConfigMap", volume["configMap"]["name"])
assert agent["args"] == ["--config", "/etc/leakfleet/agent.yaml"], agent["args"]
agent_yaml = yaml.safe_load(cm["data"]["agent.yaml"])
with open(os.path.join(out, "agent.yaml"), "w") as f:
    f.write(cm["data"]["agent.yaml"])
assert "kubernetes" in agent_yaml, "the agent's config does not read the pods of its node"
spool = agent_yaml["spool"]["dir"]
spool_volume = [v for v in pod["spec"]["volumes"] if v["name"] == mount_of(ds, agent, spool)["name"]][0]
assert "hostPath" in spool_volume, "the spool is not on the node: a replaced pod would lose its profiles"
listen_port = int(agent_yaml["listen"].rsplit(":", 1)[1])
assert any(p["containerPort"] == listen_port for p in agent["ports"]), "listen port not a containerPort"
assert agent["securityContext"]["readOnlyRootFilesystem"] is True
print("ok: the agent's spool %s is on a hostPath; its /metrics port %d is declared" % (spool, listen_port))

# ---- the server ------------------------------------------------------------------------
sts = one("StatefulSet", "leakfleet")
assert sts["spec"]["replicas"] == 1, "one writer: one replica"
server = container(sts, "server")
scm = one("ConfigMap", [v for v in sts["spec"]["template"]["spec"]["volumes"]
                        if v["name"] == mount_of(sts, server, "/etc/leakfleet/leakfleet.yaml")["name"]][0]["configMap"]["name"])
server_yaml = yaml.safe_load(scm["data"]["leakfleet.yaml"])
with open(os.path.join(out, "leakfleet.yaml"), "w") as f:
    f.write(scm["data"]["leakfleet.yaml"])
db_mount = mount_of(sts, server, server_yaml["database"])
assert db_mount["name"] in [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]], \
    "the database is not on the PersistentVolumeClaim"
port = int(server_yaml["listen"].rsplit(":", 1)[1])
named = {p["name"]: p["containerPort"] for p in server["ports"]}
svc = one("Service", "leakfleet")
assert svc["spec"]["selector"].items() <= sts["spec"]["template"]["metadata"]["labels"].items(), \
    "the Service does not select the server's pods"
target = svc["spec"]["ports"][0]["targetPort"]
assert named.get(target, target) == port, "Service targetPort %s is not listen's %d" % (target, port)
m = re.match(r"https?://([^.:/]+)\.([^.:/]+)\.svc(?:\.cluster\.local)?:(\d+)$", agent_yaml["server"])
assert m, "the agent's server is not a Service URL: %s" % agent_yaml["server"]
assert (m.group(1), m.group(2), int(m.group(3))) == (svc["metadata"]["name"], ns, svc["spec"]["ports"][0]["port"]), \
    "the agent pushes to %s, the Service is %s.%s:%d" % (agent_yaml["server"], svc["metadata"]["name"], ns, svc["spec"]["ports"][0]["port"])
print("ok: database on the PVC, Service %s:%d -> listen port %d, the agent's server URL names it" %
      (svc["metadata"]["name"], svc["spec"]["ports"][0]["port"], port))

# ---- the annotations the example uses are the ones the agent reads -----------------------
with open("agent/discovery.c") as f:
    source = f.read()
example = one("Deployment", "checkout")
for key in example["spec"]["template"]["metadata"]["annotations"]:
    suffix = key.split("/", 1)[1]
    assert '"%s"' % key in source or ('"leakfleet.io/"' in source and '"%s"' % suffix in source), \
        "annotation %s is not read by agent/discovery.c" % key
for label in ("app.kubernetes.io/name", "app.kubernetes.io/version"):
    assert label in example["spec"]["template"]["metadata"]["labels"] and '"%s"' % label in source
print("ok: the example's annotations and labels are those agent/discovery.c reads")
PY

# the ConfigMaps' files through the real parsers
NODE_NAME=node-a KUBERNETES_SERVICE_HOST=10.96.0.1 KUBERNETES_SERVICE_PORT=443 \
    LEAKFLEET_AGENT_TOKEN=t bin/leakfleet-agent --config "$T/agent.yaml" --check >"$T/check" ||
    fail "leakfleet-agent --check refuses the DaemonSet's agent.yaml"
grep -qx "kubernetes https://10.96.0.1:443 node 'node-a' every 30000 ms (token /var/run/secrets/kubernetes.io/serviceaccount/token, CA /var/run/secrets/kubernetes.io/serviceaccount/ca.crt)" "$T/check" ||
    fail "the agent's kubernetes settings: $(cat "$T/check")"
echo "ok: leakfleet-agent --check takes the DaemonSet's agent.yaml: $(grep -c . "$T/check") lines"
bin/leakfleet analyze --config "$T/leakfleet.yaml" tests/fixtures/shop-n25.debug2.txt >/dev/null ||
    fail "leakfleet refuses the StatefulSet's leakfleet.yaml"
echo "ok: leakfleet analyze --config takes the StatefulSet's leakfleet.yaml"
# the shipped defaults of the packages, too
sed -e 's|@SYSCONFDIR@|/etc|g' -e 's|@DOCDIR@|/usr/share/doc|g' packaging/agent.yaml.in >"$T/pkg-agent.yaml"
LEAKFLEET_AGENT_TOKEN=t bin/leakfleet-agent --config "$T/pkg-agent.yaml" --check >/dev/null ||
    fail "leakfleet-agent --check refuses packaging/agent.yaml.in"
sed -e 's|@SYSCONFDIR@|/etc|g' -e 's|@DOCDIR@|/usr/share/doc|g' packaging/leakfleet.yaml.in >"$T/pkg-server.yaml"
bin/leakfleet analyze --config "$T/pkg-server.yaml" tests/fixtures/shop-n25.debug2.txt >/dev/null ||
    fail "leakfleet refuses packaging/leakfleet.yaml.in"
echo "ok: the packages' default configs parse"
echo PASS
