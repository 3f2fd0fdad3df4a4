// connect_push.mjs - the Connect client of @connectrpc/connect (its fetch transport from
// @connectrpc/connect-web) calling push.v1.PusherService/Push on a leakfleet server, with
// PushRequest messages of Pyroscope's push schema (proto/push/v1/push.proto, compiled by
// protoc into a descriptor set). Pushes a real goroutine profile and a real CPU profile of
// a Go service in both Connect codecs and checks the answers, Connect error codes
// included. The caller checks what the server stored.
// Usage: node connect_push.mjs DESCRIPTORS.binpb URL GOROUTINE.pb.gz CPU.pb.gz
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

const [descriptors, baseUrl, goroutineFile, cpuFile] = process.argv.slice(2);
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(descriptors)));
const PusherService = registry.getService("push.v1.PusherService");
const PushRequest = registry.getMessage("push.v1.PushRequest");
assert.ok(PusherService && PushRequest, "push.v1 schema compiled");

const goroutine = new Uint8Array(readFileSync(goroutineFile));
const cpu = new Uint8Array(readFileSync(cpuFile));
const bearer = (token) => ({ headers: { Authorization: `Bearer ${token}` } });
const binary = createClient(PusherService, createConnectTransport({ baseUrl, useBinaryFormat: true }));
const json = createClient(PusherService, createConnectTransport({ baseUrl, useBinaryFormat: false }));

function series(labels, samples) {
    return {
        labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
        samples: samples.map(([rawProfile, ID]) => ({ rawProfile, ID })),
    };
}
const request = (...s) => create(PushRequest, { series: s });

let failures = 0;
async function check(what, fn) {
    try {
        await fn();
        console.log(`ok: ${what}`);
    } catch (e) {
        failures++;
        console.log(`FAIL: ${what}: ${e.stack || e}`);
    }
}
async function expectCode(code, promise) {
    try {
        await promise;
    } catch (e) {
        const err = ConnectError.from(e);
        assert.equal(Code[err.code], Code[code], err.message);
        return err;
    }
    assert.fail(`expected ${Code[code]}`);
}

// What Alloy's pyroscope.scrape + pyroscope.write send for one target: the goroutine
// profile and the CPU profile in one request, with uuids as IDs.
const podA = { service_name: "shop", instance: "pod-a:6060", namespace: "prod" };
const first = request(
    series({ __name__: "goroutine", ...podA }, [[goroutine, "id-goroutine-a"]]),
    series({ __name__: "process_cpu", ...podA }, [[cpu, "id-cpu-a"]]),
);
await check("binary push of a goroutine and a CPU profile", async () => {
    const answer = await binary.push(first, bearer("agent-secret"));
    assert.equal(answer.$typeName, "push.v1.PushResponse");
});
await check("the same request again (a retry: replayed by ID)", () =>
    binary.push(first, bearer("agent-secret")));
await check("JSON codec push from a pod label", () =>
    json.push(request(series({ __name__: "goroutine", service_name: "shop", pod: "pod-b" },
        [[goroutine, "id-goroutine-b"]])), bearer("agent-secret")));
await check("a CPU profile alone is accepted and ignored", () =>
    binary.push(request(series({ __name__: "process_cpu", service_name: "shop", instance: "pod-x" },
        [[cpu, "id-cpu-x"]])), bearer("agent-secret")));
await check("HTTP Basic with the token as password", () =>
    binary.push(request(series({ __name__: "goroutine", service_name: "checkout", hostname: "host-d" },
        [[goroutine, "id-goroutine-d"]])),
        { headers: { Authorization: "Basic " + Buffer.from("tenant:agent-secret").toString("base64") } }));

// Scoping: one series of a service the token may not push for refuses the whole request.
await check("a series for another service: permission_denied, nothing stored", async () => {
    const err = await expectCode(Code.PermissionDenied, binary.push(request(
        series({ __name__: "goroutine", service_name: "shop", instance: "pod-c" }, [[goroutine, "id-c1"]]),
        series({ __name__: "goroutine", service_name: "search", instance: "pod-c" }, [[goroutine, "id-c2"]]),
    ), bearer("agent-secret")));
    assert.match(err.rawMessage, /service 'search'/);
});
await check("an unknown token: unauthenticated", () => expectCode(Code.Unauthenticated,
    binary.push(first, bearer("no-such-token"))));
await check("no token: unauthenticated", () => expectCode(Code.Unauthenticated, binary.push(first)));
await check("an admin token pushes for no service: permission_denied", () =>
    expectCode(Code.PermissionDenied, binary.push(first, bearer("admin-secret"))));
await check("no service_name label: invalid_argument", async () => {
    const err = await expectCode(Code.InvalidArgument, json.push(request(
        series({ __name__: "goroutine", instance: "pod-e" }, [[goroutine, "id-e"]])), bearer("agent-secret")));
    assert.match(err.rawMessage, /service_name/);
});
await check("a goroutine profile with no instance label: invalid_argument", () =>
    expectCode(Code.InvalidArgument, binary.push(request(
        series({ __name__: "goroutine", service_name: "shop" }, [[goroutine, "id-f"]])), bearer("agent-secret"))));
await check("a raw_profile that is not pprof: invalid_argument", () =>
    expectCode(Code.InvalidArgument, binary.push(request(
        series({ service_name: "shop", instance: "pod-g" }, [[new TextEncoder().encode("not a profile"), "id-g"]])),
        bearer("agent-secret"))));

console.log(`${failures === 0 ? "connect_push: all passed" : `connect_push: ${failures} failed`}`);
process.exit(failures === 0 ? 0 : 1);
