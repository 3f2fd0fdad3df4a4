// pyroscope_node.cjs - the Pyroscope Node.js SDK (@pyroscope/nodejs) pointed at a
// leakfleet server's POST /ingest: it profiles this process (wall time and heap) for a
// few seconds, uploading every second as it does to a Pyroscope server, then stops
// (which uploads the last profiles). Node profiles are not goroutine profiles: the server
// answers them with success and counts them as ignored, which proves the wire format.
// The SDK only logs a refused upload, so its log (DEBUG=pyroscope) is printed for the
// caller to check.
// Usage: node pyroscope_node.cjs URL APP TOKEN [SECONDS]
const Pyroscope = require("@pyroscope/nodejs");

const [url, appName, token, seconds = "3"] = process.argv.slice(2);
Pyroscope.init({
    serverAddress: url,
    appName,
    basicAuthUser: "tenant",
    basicAuthPassword: token,
    tags: { instance: "node-1", region: "eu" },
    flushIntervalMs: 1000,
});
Pyroscope.start();

// Work for the profilers to see.
const kept = [];
const until = Date.now() + Number(seconds) * 1000;
const timer = setInterval(() => {
    let x = 0;
    for (let i = 0; i < 2e5; i++)
        x += Math.sqrt(i);
    kept.push(new Array(1000).fill(x));
    if (kept.length > 200)
        kept.splice(0, 100);
    if (Date.now() >= until) {
        clearInterval(timer);
        Pyroscope.stop().then(() => console.log("pyroscope_node: stopped"));
    }
}, 20);
