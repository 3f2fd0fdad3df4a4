// Command leaky is an HTTP service that leaks goroutines on purpose, in known ways and at
// known rates, so that leakfleet can be tested on real goroutine profiles. It serves
// net/http/pprof at /debug/pprof/, leaks -start goroutines of every kind in -kinds at
// start and -leak-rate more per second per kind, and keeps a few blocked goroutines that
// are not leaks (a worker pool, heartbeat tickers, idle keep-alive connections).
//
// Endpoints: /ready (200 once every started goroutine is blocked), /stats (JSON counts),
// /leak?kind=K&n=N (a burst; kind=all for every enabled kind), /work, /ping, and with
// -metrics a Prometheus /metrics (process_start_time_seconds, goleaky_build_info with
// -version, go_info), written by hand: the module uses the standard library only.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acme/leaky/internal/cache"
	"github.com/acme/leaky/internal/gate"
	"github.com/acme/leaky/internal/ncast"
	"github.com/acme/leaky/internal/park"
	"github.com/acme/leaky/internal/worker"
)

// kind is one way of leaking goroutines.
type kind struct {
	name  string
	what  string
	count park.Counter
	spawn func(k *kind)
}

var (
	started  = time.Now() // process_start_time_seconds
	bus      ncast.Bus
	store    = cache.New()
	barrier  = gate.New()
	versions = []string{"v1.4.2", "v1.5.0"}
	spawnMu  sync.Mutex
)

var kinds = []*kind{
	{name: "send", what: "ncast: unbuffered send nobody receives (labelled version=...)", spawn: func(k *kind) {
		ver := versions[k.count.Started()%int64(len(versions))]
		pprof.Do(context.Background(), pprof.Labels("version", ver), func(context.Context) {
			k.count.Start()
			bus.Publish("event", k.count.Parked)
		})
	}},
	{name: "recv", what: "worker: receive on a channel never sent to or closed", spawn: func(k *kind) {
		k.count.Start()
		worker.Abandon(k.count.Parked)
	}},
	{name: "select", what: "worker: select with no timeout case, no case ever ready", spawn: func(k *kind) {
		k.count.Start()
		worker.Forget(k.count.Parked)
	}},
	{name: "nilsend", what: "main: send on a nil channel", spawn: func(k *kind) {
		k.count.Start()
		go nilSend(k.count.Parked)
	}},
	{name: "nilrecv", what: "main: receive from a nil channel", spawn: func(k *kind) {
		k.count.Start()
		go nilRecv(k.count.Parked)
	}},
	{name: "forever", what: "main: select {}", spawn: func(k *kind) {
		k.count.Start()
		go forever(k.count.Parked)
	}},
	{name: "mutex", what: "cache: Lock of a mutex held forever", spawn: func(k *kind) {
		k.count.Start()
		store.Lookup("key", k.count.Parked)
	}},
	{name: "wg", what: "cache: Wait on a WaitGroup never done", spawn: func(k *kind) {
		k.count.Start()
		store.AwaitFlush(k.count.Parked)
	}},
	{name: "cond", what: "gate: sync.Cond.Wait for a condition never signalled", spawn: func(k *kind) {
		k.count.Start()
		barrier.Await(k.count.Parked)
	}},
}

func nilSend(parked func()) {
	var c chan int
	parked()
	c <- 1 // site: nilsend
}

func nilRecv(parked func()) {
	var c chan int
	parked()
	<-c // site: nilrecv
}

func forever(parked func()) {
	parked()
	select {} // site: forever
}

// flat goroutines: blocked, constant in number.
var (
	pool      *worker.Pool
	poolPark  park.Counter
	tickPark  park.Counter
	keepPark  park.Counter
	tickers   int
	keepalive []*http.Transport // written only by holdKeepAlive, before booted is set
	booted    atomic.Bool       // the -start goroutines and keep-alive connections exist
)

func envOr(name, dflt string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return dflt
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("leaky: ")
	listen := flag.String("listen", envOr("LEAKY_LISTEN", "127.0.0.1:6060"), "address to serve on; port 0 picks a free one (env LEAKY_LISTEN)")
	rateText := flag.String("leak-rate", envOr("LEAKY_LEAK_RATE", "1"), "goroutines leaked per second per kind (env LEAKY_LEAK_RATE)")
	startText := flag.String("start", envOr("LEAKY_START", "0"), "goroutines leaked per kind at start (env LEAKY_START)")
	kindList := flag.String("kinds", envOr("LEAKY_KINDS", "all"), "comma-separated leak kinds, or all (env LEAKY_KINDS)")
	workers := flag.Int("workers", 8, "worker pool size (flat chan receive)")
	flag.IntVar(&tickers, "tickers", 2, "heartbeat goroutines (flat select with a ticker)")
	beat := flag.Duration("heartbeat", time.Second, "heartbeat ticker interval")
	nkeep := flag.Int("keepalive", 2, "idle keep-alive HTTP connections the service holds to itself")
	addrFile := flag.String("addr-file", "", "write the address actually listened on to this file")
	metricsDefault, _ := strconv.ParseBool(os.Getenv("LEAKY_METRICS"))
	metrics := flag.Bool("metrics", metricsDefault, "serve Prometheus metrics at /metrics (env LEAKY_METRICS=1)")
	version := flag.String("version", envOr("LEAKY_VERSION", "1.4.2"), "the version in goleaky_build_info (env LEAKY_VERSION)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: leaky [flags]\n\nleak kinds:\n")
		for _, k := range kinds {
			fmt.Fprintf(flag.CommandLine.Output(), "  %-8s %s\n", k.name, k.what)
		}
		fmt.Fprintf(flag.CommandLine.Output(), "\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	rate, err := strconv.ParseFloat(*rateText, 64)
	if err != nil || rate < 0 {
		log.Printf("bad -leak-rate %q", *rateText)
		os.Exit(2)
	}
	start, err := strconv.ParseInt(*startText, 10, 64)
	if err != nil || start < 0 {
		log.Printf("bad -start %q", *startText)
		os.Exit(2)
	}
	enabled, err := selectKinds(*kindList)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
	addr := ln.Addr().String()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(addr+"\n"), 0o644); err != nil {
			log.Print(err)
			os.Exit(1)
		}
	}
	log.Printf("listening on http://%s (kinds %s, start %d, rate %g/s)", addr, names(enabled), start, rate)

	bus.Subscribe() // a subscriber that never reads
	store.Freeze()
	pprof.Do(context.Background(), pprof.Labels("role", "pool"), func(context.Context) {
		for i := 0; i < *workers; i++ {
			poolPark.Start()
		}
		pool = worker.NewPool(*workers, poolPark.Parked)
	})
	for i := 0; i < tickers; i++ {
		tickPark.Start()
		go worker.Heartbeat(*beat, nil, tickPark.Parked)
	}

	http.HandleFunc("/ready", handleReady)
	http.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) { writeStats(w, enabled) })
	http.HandleFunc("/leak", func(w http.ResponseWriter, r *http.Request) { handleLeak(w, r, enabled) })
	http.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		pool.Do(func() {})
		io.WriteString(w, "done\n")
	})
	http.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong\n") })
	if *metrics {
		http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) { writeMetrics(w, *version) })
	}

	go func() {
		spawn(enabled, start)
		holdKeepAlive(addr, *nkeep)
		booted.Store(true)
		if rate > 0 {
			leakLoop(rate, enabled)
		}
	}()
	log.Fatal(http.Serve(ln, nil))
}

func selectKinds(list string) ([]*kind, error) {
	if list == "all" || list == "" {
		return kinds, nil
	}
	var out []*kind
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		k := findKind(kinds, name)
		if k == nil {
			return nil, fmt.Errorf("unknown leak kind %q (see -help)", name)
		}
		if findKind(out, name) == nil {
			out = append(out, k)
		}
	}
	return out, nil
}

func findKind(list []*kind, name string) *kind {
	for _, k := range list {
		if k.name == name {
			return k
		}
	}
	return nil
}

func names(list []*kind) string {
	var s []string
	for _, k := range list {
		s = append(s, k.name)
	}
	return strings.Join(s, ",")
}

// spawn leaks n more goroutines of every kind in list.
func spawn(list []*kind, n int64) {
	spawnMu.Lock()
	defer spawnMu.Unlock()
	for _, k := range list {
		for i := int64(0); i < n; i++ {
			k.spawn(k)
		}
	}
}

// holdKeepAlive opens n connections to the service itself, each through its own
// transport, and leaves them idle: a reader and a writer goroutine on the client side
// and a serving goroutine on the server side per connection, all blocked and flat.
func holdKeepAlive(addr string, n int) {
	for i := 0; i < n; i++ {
		keepPark.Start()
		tr := &http.Transport{MaxIdleConnsPerHost: 1}
		keepalive = append(keepalive, tr)
		resp, err := (&http.Client{Transport: tr}).Get("http://" + addr + "/ping")
		if err != nil {
			log.Printf("keep-alive connection %d: %v", i, err)
		} else {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		keepPark.Parked()
	}
}

func leakLoop(rate float64, list []*kind) {
	begin := time.Now()
	var done int64
	t := time.NewTicker(100 * time.Millisecond)
	for range t.C {
		want := int64(rate * time.Since(begin).Seconds())
		if want > done {
			spawn(list, want-done)
			done = want
		}
	}
}

func counters() []*park.Counter {
	out := []*park.Counter{&poolPark, &tickPark, &keepPark}
	for _, k := range kinds {
		out = append(out, &k.count)
	}
	return out
}

func handleReady(w http.ResponseWriter, r *http.Request) {
	if !booted.Load() || !park.WaitSettled(0, counters()...) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

func handleLeak(w http.ResponseWriter, r *http.Request, enabled []*kind) {
	n, err := strconv.ParseInt(r.FormValue("n"), 10, 64)
	if err != nil || n < 0 || n > 10000000 {
		http.Error(w, "n must be a count", http.StatusBadRequest)
		return
	}
	list := enabled
	if name := r.FormValue("kind"); name != "" && name != "all" {
		k := findKind(kinds, name)
		if k == nil {
			http.Error(w, "unknown kind", http.StatusBadRequest)
			return
		}
		list = []*kind{k}
	}
	spawn(list, n)
	if !park.WaitSettled(30*time.Second, counters()...) {
		http.Error(w, "goroutines did not settle", http.StatusInternalServerError)
		return
	}
	writeStats(w, enabled)
}

func writeStats(w http.ResponseWriter, enabled []*kind) {
	leaked := map[string]int64{}
	for _, k := range kinds {
		leaked[k.name] = k.count.Started()
	}
	en := names(enabled)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"kinds":      strings.Split(en, ","),
		"leaked":     leaked,
		"pool":       pool.Size(),
		"tickers":    tickers,
		"keepalive":  keepPark.Started(),
		"beats":      worker.Beats.Load(),
		"goroutines": runtime.NumGoroutine(),
	})
}

// labelValue escapes a Prometheus label value: backslash, double quote and newline.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// writeMetrics serves the Prometheus text format (version 0.0.4) as client_golang would
// for these metrics; the start time is that of main's package initialisation.
func writeMetrics(w http.ResponseWriter, version string) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP go_goroutines Number of goroutines that currently exist.\n")
	fmt.Fprintf(&b, "# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(&b, "# HELP go_info Information about the Go environment.\n")
	fmt.Fprintf(&b, "# TYPE go_info gauge\ngo_info{version=\"%s\"} 1\n", labelValue(runtime.Version()))
	fmt.Fprintf(&b, "# HELP goleaky_build_info Build information of goleaky.\n")
	fmt.Fprintf(&b, "# TYPE goleaky_build_info gauge\n")
	fmt.Fprintf(&b, "goleaky_build_info{goversion=\"%s\",revision=\"fixture\",version=\"%s\"} 1\n",
		labelValue(runtime.Version()), labelValue(version))
	fmt.Fprintf(&b, "# HELP goleaky_leaked_total Goroutines leaked on purpose, by kind.\n")
	fmt.Fprintf(&b, "# TYPE goleaky_leaked_total counter\n")
	for _, k := range kinds {
		fmt.Fprintf(&b, "goleaky_leaked_total{kind=\"%s\"} %d\n", labelValue(k.name), k.count.Started())
	}
	fmt.Fprintf(&b, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n")
	fmt.Fprintf(&b, "# TYPE process_start_time_seconds gauge\n")
	fmt.Fprintf(&b, "process_start_time_seconds %s\n",
		strconv.FormatFloat(float64(started.UnixNano())/1e9, 'g', -1, 64))
	io.WriteString(w, b.String())
}
