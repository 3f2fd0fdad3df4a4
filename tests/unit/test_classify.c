/* test_classify.c - unit tests of classify: the op and the site of hand-built stacks,
 * copied frame for frame from real Go 1.19 dumps (tests/fixtures/shop-n25.*) and from
 * the frame and wait-reason spellings of later releases (1.20 sync reasons, 1.24
 * internal/sync, 1.25 sync.WaitGroup.Wait and "(durable)"). */
#include <string.h>

#include "check_main.h"
#include "classify.h"
#include "stack.h"

struct fr {
    const char *function;
    const char *file;
    int64_t line;
};

#define MAX_TEST_FRAMES 32

struct test_stack {
    struct stack stack;
    struct stack_frame frames[MAX_TEST_FRAMES];
};

static void build(struct test_stack *t, const char *reason, const struct fr *frs, size_t n)
{
    memset(t, 0, sizeof(*t));
    ck_assert_uint_le(n, MAX_TEST_FRAMES);
    for (size_t i = 0; i < n; i++) {
        t->frames[i].function = str_from_cstr(frs[i].function);
        t->frames[i].file = str_from_cstr(frs[i].file);
        t->frames[i].line = frs[i].line;
    }
    t->stack.count = 1;
    t->stack.goroutine_id = -1;
    t->stack.wait_reason = str_from_cstr(reason);
    t->stack.wait_minutes = -1;
    t->stack.frames = t->frames;
    t->stack.n_frames = n;
}

/* Classifies and checks op words, kind and the site's function. */
static void expect(const char *reason, const struct fr *frs, size_t n, enum op_kind op,
                   const char *words, const char *site_function)
{
    struct test_stack t;
    build(&t, reason, frs, n);
    struct site site;
    classify_stack(&t.stack, &site);
    ck_assert_msg(site.op == op, "reason '%s': op %d (%.*s), want %d (%s)", reason ? reason : "",
                  (int)site.op, (int)site.op_words.len, site.op_words.p, (int)op, words);
    ck_assert_msg(str_eq_cstr(site.op_words, words), "op words '%.*s', want '%s'",
                  (int)site.op_words.len, site.op_words.p, words);
    if (site_function == NULL) {
        ck_assert_uint_eq(site.frame, n);
    } else {
        ck_assert_uint_lt(site.frame, n);
        ck_assert_str_eq(frs[site.frame].function, site_function);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define GO   "/usr/lib/go-1.19/src/"
#define SHOP "/srv/build/shop/main.go"

/* ---- pprof: runtime frames kept ----------------------------------------------------- */

static const struct fr pprof_nil_send[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.chansend", GO "runtime/chan.go", 165 },
    { "runtime.chansend1", GO "runtime/chan.go", 145 },
    { "main.nilSend", SHOP, 23 },
};
static const struct fr pprof_send[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.chansend", GO "runtime/chan.go", 259 },
    { "runtime.chansend1", GO "runtime/chan.go", 145 },
    { "github.com/acme/shop/internal/queue.(*Queue).work",
      "/srv/build/shop/internal/queue/queue.go", 13 },
};
static const struct fr pprof_nil_recv[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.chanrecv", GO "runtime/chan.go", 469 },
    { "runtime.chanrecv1", GO "runtime/chan.go", 442 },
    { "main.nilRecv", SHOP, 28 },
};
static const struct fr pprof_recv[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.chanrecv", GO "runtime/chan.go", 583 },
    { "runtime.chanrecv1", GO "runtime/chan.go", 442 },
    { "main.labelled.func1", SHOP, 60 },
    { "runtime/pprof.Do", GO "runtime/pprof/runtime.go", 40 },
    { "main.labelled", SHOP, 59 },
};
static const struct fr pprof_range_recv[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.chanrecv", GO "runtime/chan.go", 583 },
    { "runtime.chanrecv2", GO "runtime/chan.go", 447 },
    { "main.consume", SHOP, 70 },
};
static const struct fr pprof_block[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.block", GO "runtime/select.go", 104 },
    { "main.forever", SHOP, 31 },
};
static const struct fr pprof_select[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.selectgo", GO "runtime/select.go", 328 },
    { "main.timeoutLeak", SHOP, 75 },
};
static const struct fr pprof_mutex[] = {
    { "runtime.goparkunlock", GO "runtime/proc.go", 369 },
    { "runtime.semacquire1", GO "runtime/sema.go", 150 },
    { "sync.runtime_SemacquireMutex", GO "runtime/sema.go", 77 },
    { "sync.(*Mutex).lockSlow", GO "sync/mutex.go", 171 },
    { "sync.(*Mutex).Lock", GO "sync/mutex.go", 90 },
    { "main.lockForever", SHOP, 33 },
};
static const struct fr pprof_rlock[] = {
    { "runtime.goparkunlock", GO "runtime/proc.go", 369 },
    { "runtime.semacquire1", GO "runtime/sema.go", 150 },
    { "sync.runtime_SemacquireMutex", GO "runtime/sema.go", 77 },
    { "sync.(*RWMutex).RLock", GO "sync/rwmutex.go", 71 },
    { "main.rlockForever", SHOP, 35 },
};
static const struct fr pprof_waitgroup[] = {
    { "runtime.goparkunlock", GO "runtime/proc.go", 369 },
    { "runtime.semacquire1", GO "runtime/sema.go", 150 },
    { "sync.runtime_Semacquire", GO "runtime/sema.go", 62 },
    { "sync.(*WaitGroup).Wait", GO "sync/waitgroup.go", 139 },
    { "main.waitGroupForever", SHOP, 40 },
};
static const struct fr pprof_cond[] = {
    { "runtime.goparkunlock", GO "runtime/proc.go", 369 },
    { "sync.runtime_notifyListWait", GO "runtime/sema.go", 517 },
    { "sync.(*Cond).Wait", GO "sync/cond.go", 70 },
    { "main.condForever", SHOP, 47 },
};
static const struct fr pprof_sleep[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "time.Sleep", GO "runtime/time.go", 195 },
    { "main.main.func1", SHOP, 87 },
};
static const struct fr pprof_accept[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.netpollblock", GO "runtime/netpoll.go", 526 },
    { "internal/poll.runtime_pollWait", GO "runtime/netpoll.go", 305 },
    { "internal/poll.(*pollDesc).wait", GO "internal/poll/fd_poll_runtime.go", 84 },
    { "internal/poll.(*pollDesc).waitRead", GO "internal/poll/fd_poll_runtime.go", 89 },
    { "internal/poll.(*FD).Accept", GO "internal/poll/fd_unix.go", 614 },
    { "net.(*netFD).accept", GO "net/fd_unix.go", 172 },
    { "net.(*TCPListener).accept", GO "net/tcpsock_posix.go", 142 },
    { "net.(*TCPListener).Accept", GO "net/tcpsock.go", 288 },
    { "net/http.(*Server).Serve", GO "net/http/server.go", 3070 },
    { "net/http.(*Server).ListenAndServe", GO "net/http/server.go", 2999 },
    { "net/http.ListenAndServe", GO "net/http/server.go", 3255 },
    { "main.main", SHOP, 90 },
    { "runtime.main", GO "runtime/proc.go", 250 },
};
static const struct fr pprof_syscall[] = {
    { "syscall.Syscall", GO "syscall/syscall_linux.go", 68 },
    { "syscall.read", GO "syscall/zsyscall_linux_amd64.go", 696 },
    { "syscall.Read", GO "syscall/syscall_unix.go", 183 },
    { "internal/poll.ignoringEINTRIO", GO "internal/poll/fd_unix.go", 794 },
    { "internal/poll.(*FD).Read", GO "internal/poll/fd_unix.go", 163 },
    { "net.(*netFD).Read", GO "net/fd_posix.go", 55 },
    { "net.(*conn).Read", GO "net/net.go", 183 },
    { "net/http.(*connReader).backgroundRead", GO "net/http/server.go", 678 },
};
static const struct fr pprof_writer[] = {
    { "runtime.goroutineProfileWithLabels", GO "runtime/mprof.go", 858 },
    { "runtime/pprof.runtime_goroutineProfileWithLabels", GO "runtime/mprof.go", 846 },
    { "runtime/pprof.writeRuntimeProfile", GO "runtime/pprof/pprof.go", 723 },
    { "runtime/pprof.writeGoroutine", GO "runtime/pprof/pprof.go", 683 },
    { "runtime/pprof.(*Profile).WriteTo", GO "runtime/pprof/pprof.go", 330 },
    { "net/http/pprof.handler.ServeHTTP", GO "net/http/pprof/pprof.go", 253 },
    { "net/http/pprof.Index", GO "net/http/pprof/pprof.go", 371 },
};

START_TEST(test_pprof_channel_ops)
{
    expect(NULL, pprof_nil_send, N(pprof_nil_send), OP_CHAN_SEND_NIL, "chan send (nil chan)",
           "main.nilSend");
    expect(NULL, pprof_send, N(pprof_send), OP_CHAN_SEND, "chan send",
           "github.com/acme/shop/internal/queue.(*Queue).work");
    expect(NULL, pprof_nil_recv, N(pprof_nil_recv), OP_CHAN_RECEIVE_NIL, "chan receive (nil chan)",
           "main.nilRecv");
    expect(NULL, pprof_recv, N(pprof_recv), OP_CHAN_RECEIVE, "chan receive", "main.labelled.func1");
    expect(NULL, pprof_range_recv, N(pprof_range_recv), OP_CHAN_RECEIVE, "chan receive",
           "main.consume");
    expect(NULL, pprof_block, N(pprof_block), OP_SELECT_NO_CASES, "select (no cases)",
           "main.forever");
    expect(NULL, pprof_select, N(pprof_select), OP_SELECT, "select", "main.timeoutLeak");
}
END_TEST

START_TEST(test_pprof_sync_ops)
{
    expect(NULL, pprof_mutex, N(pprof_mutex), OP_MUTEX_LOCK, "sync.Mutex.Lock", "main.lockForever");
    expect(NULL, pprof_rlock, N(pprof_rlock), OP_RWMUTEX_RLOCK, "sync.RWMutex.RLock",
           "main.rlockForever");
    expect(NULL, pprof_waitgroup, N(pprof_waitgroup), OP_WAITGROUP_WAIT, "sync.WaitGroup.Wait",
           "main.waitGroupForever");
    expect(NULL, pprof_cond, N(pprof_cond), OP_COND_WAIT, "sync.Cond.Wait", "main.condForever");
    /* RWMutex.Lock blocks in its inner Mutex.Lock: the caller called RWMutex.Lock */
    static const struct fr rw_lock[] = {
        { "runtime.goparkunlock", GO "runtime/proc.go", 369 },
        { "sync.runtime_SemacquireMutex", GO "runtime/sema.go", 77 },
        { "sync.(*Mutex).lockSlow", GO "sync/mutex.go", 171 },
        { "sync.(*Mutex).Lock", GO "sync/mutex.go", 90 },
        { "sync.(*RWMutex).Lock", GO "sync/rwmutex.go", 144 },
        { "main.writer", SHOP, 99 },
    };
    expect(NULL, rw_lock, N(rw_lock), OP_RWMUTEX_LOCK, "sync.RWMutex.Lock", "main.writer");
    /* Go 1.24 moved the mutex into internal/sync */
    static const struct fr mutex_124[] = {
        { "runtime.gopark", "/usr/local/go/src/runtime/proc.go", 435 },
        { "runtime.goparkunlock", "/usr/local/go/src/runtime/proc.go", 441 },
        { "runtime.semacquire1", "/usr/local/go/src/runtime/sema.go", 178 },
        { "internal/sync.runtime_SemacquireMutex", "/usr/local/go/src/runtime/sema.go", 95 },
        { "internal/sync.(*Mutex).lockSlow", "/usr/local/go/src/internal/sync/mutex.go", 149 },
        { "internal/sync.(*Mutex).Lock", "/usr/local/go/src/internal/sync/mutex.go", 70 },
        { "sync.(*Mutex).Lock", "/usr/local/go/src/sync/mutex.go", 46 },
        { "main.lockForever", SHOP, 33 },
    };
    expect(NULL, mutex_124, N(mutex_124), OP_MUTEX_LOCK, "sync.Mutex.Lock", "main.lockForever");
    /* Go 1.25 WaitGroup */
    static const struct fr wg_125[] = {
        { "runtime.gopark", "/usr/local/go/src/runtime/proc.go", 460 },
        { "runtime.goparkunlock", "/usr/local/go/src/runtime/proc.go", 466 },
        { "runtime.semacquire1", "/usr/local/go/src/runtime/sema.go", 188 },
        { "sync.runtime_SemacquireWaitGroup", "/usr/local/go/src/runtime/sema.go", 110 },
        { "sync.(*WaitGroup).Wait", "/usr/local/go/src/sync/waitgroup.go", 118 },
        { "main.waitGroupForever", SHOP, 40 },
    };
    expect(NULL, wg_125, N(wg_125), OP_WAITGROUP_WAIT, "sync.WaitGroup.Wait",
           "main.waitGroupForever");
    /* a semaphore no sync primitive explains: net's fd mutex */
    static const struct fr fd_sema[] = {
        { "runtime.gopark", GO "runtime/proc.go", 363 },
        { "runtime.goparkunlock", GO "runtime/proc.go", 369 },
        { "runtime.semacquire1", GO "runtime/sema.go", 150 },
        { "internal/poll.runtime_Semacquire", GO "runtime/sema.go", 67 },
        { "internal/poll.(*fdMutex).rwlock", GO "internal/poll/fd_mutex.go", 154 },
        { "internal/poll.(*FD).writeLock", GO "internal/poll/fd_mutex.go", 239 },
        { "internal/poll.(*FD).Write", GO "internal/poll/fd_unix.go", 370 },
        { "os.(*File).write", GO "os/file_posix.go", 48 },
        { "os.(*File).Write", GO "os/file.go", 176 },
        { "log.(*Logger).Output", GO "log/log.go", 194 },
    };
    expect(NULL, fd_sema, N(fd_sema), OP_SEMACQUIRE, "semacquire", "log.(*Logger).Output");
}
END_TEST

START_TEST(test_pprof_other_ops)
{
    expect(NULL, pprof_sleep, N(pprof_sleep), OP_SLEEP, "sleep", "main.main.func1");
    expect(NULL, pprof_accept, N(pprof_accept), OP_IO_WAIT, "IO wait", "net/http.(*Server).Serve");
    expect(NULL, pprof_syscall, N(pprof_syscall), OP_SYSCALL, "syscall",
           "net/http.(*connReader).backgroundRead");
    expect(NULL, pprof_writer, N(pprof_writer), OP_RUNNING, "running",
           "net/http/pprof.handler.ServeHTTP");
    /* a runtime goroutine: nothing but runtime frames, the outermost names it */
    static const struct fr gc_worker[] = {
        { "runtime.gopark", GO "runtime/proc.go", 363 },
        { "runtime.gcBgMarkWorker", GO "runtime/mgc.go", 1235 },
        { "runtime.goexit", GO "runtime/asm_amd64.s", 1594 },
    };
    expect(NULL, gc_worker, N(gc_worker), OP_UNKNOWN, "unknown", "runtime.gcBgMarkWorker");
    expect(NULL, gc_worker, 0, OP_UNKNOWN, "unknown", NULL);
}
END_TEST

/* ---- debug=2: wait reasons, runtime frames hidden ------------------------------------ */

static const struct fr d2_mutex[] = {
    { "sync.runtime_SemacquireMutex", GO "runtime/sema.go", 77 },
    { "sync.(*Mutex).lockSlow", GO "sync/mutex.go", 171 },
    { "sync.(*Mutex).Lock", GO "sync/mutex.go", 90 },
    { "main.lockForever", SHOP, 33 },
};
static const struct fr d2_rlock[] = {
    { "sync.runtime_SemacquireMutex", GO "runtime/sema.go", 77 },
    { "sync.(*RWMutex).RLock", GO "sync/rwmutex.go", 71 },
    { "main.rlockForever", SHOP, 35 },
};
static const struct fr d2_wg[] = {
    { "sync.runtime_Semacquire", GO "runtime/sema.go", 62 },
    { "sync.(*WaitGroup).Wait", GO "sync/waitgroup.go", 139 },
    { "main.waitGroupForever", SHOP, 40 },
};
static const struct fr d2_cond[] = {
    { "sync.runtime_notifyListWait", GO "runtime/sema.go", 517 },
    { "sync.(*Cond).Wait", GO "sync/cond.go", 70 },
    { "main.condForever", SHOP, 47 },
};
static const struct fr d2_nil_send[] = { { "main.nilSend", SHOP, 23 } };
static const struct fr d2_nil_recv[] = { { "main.nilRecv", SHOP, 28 } };
static const struct fr d2_forever[] = { { "main.forever", SHOP, 31 } };
static const struct fr d2_send[] = {
    { "example.com/acme/leaky/internal/pubsub.(*Bus).Publish.func1",
      "/srv/build/acme/leaky/internal/pubsub/pubsub.go", 27 },
};
static const struct fr d2_writer[] = {
    { "runtime/pprof.writeGoroutineStacks", GO "runtime/pprof/pprof.go", 692 },
    { "runtime/pprof.writeGoroutine", GO "runtime/pprof/pprof.go", 681 },
    { "runtime/pprof.(*Profile).WriteTo", GO "runtime/pprof/pprof.go", 330 },
    { "net/http/pprof.handler.ServeHTTP", GO "net/http/pprof/pprof.go", 253 },
};
static const struct fr d2_io_read[] = {
    { "internal/poll.runtime_pollWait", GO "runtime/netpoll.go", 305 },
    { "internal/poll.(*pollDesc).wait", GO "internal/poll/fd_poll_runtime.go", 84 },
    { "internal/poll.(*pollDesc).waitRead", GO "internal/poll/fd_poll_runtime.go", 89 },
    { "internal/poll.(*FD).Read", GO "internal/poll/fd_unix.go", 167 },
    { "net.(*netFD).Read", GO "net/fd_posix.go", 55 },
    { "net.(*conn).Read", GO "net/net.go", 183 },
    { "net/http.(*connReader).backgroundRead", GO "net/http/server.go", 678 },
};
static const struct fr d2_idle[] = {
    { "runtime.gopark", GO "runtime/proc.go", 363 },
    { "runtime.bgsweep", GO "runtime/mgcsweep.go", 278 },
    { "runtime.gcenable.func1", GO "runtime/mgc.go", 178 },
};

START_TEST(test_debug2_sync_every_release_agrees)
{
    /* Go 1.19 says semacquire; 1.20+ names the primitive; the frames decide */
    expect("semacquire", d2_mutex, N(d2_mutex), OP_MUTEX_LOCK, "sync.Mutex.Lock",
           "main.lockForever");
    expect("sync.Mutex.Lock", d2_mutex, N(d2_mutex), OP_MUTEX_LOCK, "sync.Mutex.Lock",
           "main.lockForever");
    expect("semacquire", d2_rlock, N(d2_rlock), OP_RWMUTEX_RLOCK, "sync.RWMutex.RLock",
           "main.rlockForever");
    expect("sync.RWMutex.RLock", d2_rlock, N(d2_rlock), OP_RWMUTEX_RLOCK, "sync.RWMutex.RLock",
           "main.rlockForever");
    /* WaitGroup: semacquire until 1.24, its own reason from 1.25 */
    expect("semacquire", d2_wg, N(d2_wg), OP_WAITGROUP_WAIT, "sync.WaitGroup.Wait",
           "main.waitGroupForever");
    expect("sync.WaitGroup.Wait", d2_wg, N(d2_wg), OP_WAITGROUP_WAIT, "sync.WaitGroup.Wait",
           "main.waitGroupForever");
    expect("sync.Cond.Wait", d2_cond, N(d2_cond), OP_COND_WAIT, "sync.Cond.Wait",
           "main.condForever");
    /* a reason without frames that name a primitive keeps its words */
    expect("sync.RWMutex.Lock", d2_send, N(d2_send), OP_RWMUTEX_LOCK, "sync.RWMutex.Lock",
           "example.com/acme/leaky/internal/pubsub.(*Bus).Publish.func1");
    static const struct fr bare_sema[] = {
        { "sync.runtime_Semacquire", GO "runtime/sema.go", 62 },
        { "main.custom", SHOP, 12 },
    };
    expect("semacquire", bare_sema, N(bare_sema), OP_SEMACQUIRE, "semacquire", "main.custom");
}
END_TEST

START_TEST(test_debug2_channel_and_other_reasons)
{
    expect("chan send (nil chan)", d2_nil_send, 1, OP_CHAN_SEND_NIL, "chan send (nil chan)",
           "main.nilSend");
    expect("chan receive (nil chan)", d2_nil_recv, 1, OP_CHAN_RECEIVE_NIL,
           "chan receive (nil chan)", "main.nilRecv");
    expect("select (no cases)", d2_forever, 1, OP_SELECT_NO_CASES, "select (no cases)",
           "main.forever");
    expect("chan send", d2_send, 1, OP_CHAN_SEND, "chan send",
           "example.com/acme/leaky/internal/pubsub.(*Bus).Publish.func1");
    expect("chan receive", d2_send, 1, OP_CHAN_RECEIVE, "chan receive",
           "example.com/acme/leaky/internal/pubsub.(*Bus).Publish.func1");
    expect("select", d2_send, 1, OP_SELECT, "select",
           "example.com/acme/leaky/internal/pubsub.(*Bus).Publish.func1");
    expect("IO wait", d2_io_read, N(d2_io_read), OP_IO_WAIT, "IO wait",
           "net/http.(*connReader).backgroundRead");
    expect("syscall", pprof_syscall, N(pprof_syscall), OP_SYSCALL, "syscall",
           "net/http.(*connReader).backgroundRead");
    expect("sleep", pprof_sleep + 1, 2, OP_SLEEP, "sleep", "main.main.func1");
    expect("running", d2_writer, N(d2_writer), OP_RUNNING, "running",
           "net/http/pprof.handler.ServeHTTP");
    expect("runnable", d2_send, 1, OP_RUNNABLE, "runnable",
           "example.com/acme/leaky/internal/pubsub.(*Bus).Publish.func1");
    /* the reason beats the frames for channel ops (under GOTRACEBACK=system) */
    expect("chan send", pprof_nil_send, N(pprof_nil_send), OP_CHAN_SEND, "chan send",
           "main.nilSend");
}
END_TEST

START_TEST(test_debug2_verbatim_reasons)
{
    struct test_stack t;
    struct site site;
    build(&t, "GC worker (idle)", d2_idle, N(d2_idle));
    classify_stack(&t.stack, &site);
    ck_assert_int_eq(site.op, OP_OTHER);
    ck_assert_str_eq(site.op_text, "GC worker (idle)");
    ck_assert_str_eq(d2_idle[site.frame].function, "runtime.gcenable.func1");

    build(&t, "idle", d2_idle, N(d2_idle));
    classify_stack(&t.stack, &site);
    ck_assert_int_eq(site.op, OP_OTHER);
    ck_assert_str_eq(site.op_text, "idle");

    /* synctest bubbles, 1.24 and 1.25 spellings: not ordinary channel ops */
    const char *durable[] = { "chan receive (synctest)", "chan receive (durable)",
                              "select (durable)", "sync.WaitGroup.Wait (durable)" };
    for (size_t i = 0; i < N(durable); i++) {
        build(&t, durable[i], d2_send, 1);
        classify_stack(&t.stack, &site);
        ck_assert_int_eq(site.op, OP_OTHER);
        ck_assert(!op_is_channel(site.op));
        ck_assert_str_eq(site.op_text, durable[i]);
    }

    /* a reason no release prints yet is kept verbatim, borrowed from the stack */
    char reason[] = "waiting for the future";
    build(&t, reason, d2_send, 1);
    classify_stack(&t.stack, &site);
    ck_assert_int_eq(site.op, OP_OTHER);
    ck_assert_ptr_null(site.op_text);
    ck_assert(str_eq_cstr(site.op_words, "waiting for the future"));
    ck_assert_ptr_eq(site.op_words.p, reason);
}
END_TEST

/* ---- debug=1: runtime frames hidden, no reason ---------------------------------------- */

START_TEST(test_debug1_visible_frames)
{
    expect("", d2_nil_send, 1, OP_UNKNOWN, "unknown", "main.nilSend");
    expect("", d2_forever, 1, OP_UNKNOWN, "unknown", "main.forever");
    expect("", d2_mutex, N(d2_mutex), OP_MUTEX_LOCK, "sync.Mutex.Lock", "main.lockForever");
    expect("", d2_rlock, N(d2_rlock), OP_RWMUTEX_RLOCK, "sync.RWMutex.RLock", "main.rlockForever");
    expect("", d2_wg, N(d2_wg), OP_WAITGROUP_WAIT, "sync.WaitGroup.Wait", "main.waitGroupForever");
    expect("", d2_cond, N(d2_cond), OP_COND_WAIT, "sync.Cond.Wait", "main.condForever");
    expect("", pprof_sleep + 1, 2, OP_SLEEP, "sleep", "main.main.func1");
    expect("", pprof_accept + 2, N(pprof_accept) - 2, OP_IO_WAIT, "IO wait",
           "net/http.(*Server).Serve");
    expect("", pprof_writer + 1, N(pprof_writer) - 1, OP_RUNNING, "running",
           "net/http/pprof.handler.ServeHTTP");
    expect("", pprof_syscall, N(pprof_syscall), OP_SYSCALL, "syscall",
           "net/http.(*connReader).backgroundRead");
}
END_TEST

START_TEST(test_autogenerated_wrapper_is_not_a_site)
{
    /* from shop-n3.sigquit.txt: the listener's Accept goes through a wrapper */
    static const struct fr sigquit_accept[] = {
        { "internal/poll.runtime_pollWait", GO "runtime/netpoll.go", 305 },
        { "internal/poll.(*FD).Accept", GO "internal/poll/fd_unix.go", 614 },
        { "net.(*netFD).accept", GO "net/fd_unix.go", 172 },
        { "net.(*TCPListener).accept", GO "net/tcpsock_posix.go", 142 },
        { "net.(*TCPListener).Accept", GO "net/tcpsock.go", 288 },
        { "net/http.(*onceCloseListener).Accept", "<autogenerated>", 1 },
        { "net/http.(*Server).Serve", GO "net/http/server.go", 3070 },
    };
    expect("IO wait", sigquit_accept, N(sigquit_accept), OP_IO_WAIT, "IO wait",
           "net/http.(*Server).Serve");
    /* a wrapper below the site stays where it is */
    static const struct fr user_first[] = {
        { "main.(*Box).Get", SHOP, 12 },
        { "main.(*Wrapper).Get", "<autogenerated>", 1 },
        { "main.use", SHOP, 20 },
    };
    expect("chan receive", user_first, N(user_first), OP_CHAN_RECEIVE, "chan receive",
           "main.(*Box).Get");
    /* the panicking goroutine of leakgen-n1.panic-crash.txt (GOTRACEBACK=crash) */
    static const struct fr panicking[] = {
        { "panic", "runtime/panic.go", 987 },
        { "runtime.panicmem", "runtime/panic.go", 260 },
        { "runtime.sigpanic", "runtime/signal_unix.go", 835 },
        { "main.main", "github.com/acme/leakgen/main.go", 84 },
        { "runtime.main", "runtime/proc.go", 250 },
        { "runtime.goexit", "runtime/asm_amd64.s", 1594 },
    };
    expect("running", panicking, N(panicking), OP_RUNNING, "running", "main.main");
}
END_TEST

START_TEST(test_op_names)
{
    const char *want[OP_KIND_COUNT] = { "unknown",
                                        "chan send",
                                        "chan receive",
                                        "select",
                                        "select (no cases)",
                                        "chan send (nil chan)",
                                        "chan receive (nil chan)",
                                        "sync.Mutex.Lock",
                                        "sync.RWMutex.Lock",
                                        "sync.RWMutex.RLock",
                                        "sync.WaitGroup.Wait",
                                        "sync.Cond.Wait",
                                        "semacquire",
                                        "IO wait",
                                        "sleep",
                                        "syscall",
                                        "running",
                                        "runnable",
                                        "other" };
    for (int i = 0; i < OP_KIND_COUNT; i++) {
        ck_assert_str_eq(op_name((enum op_kind)i), want[i]);
        enum op_kind back = OP_OTHER;
        if (i == OP_OTHER) {
            ck_assert(!op_from_name(str_from_cstr(want[i]), &back));
        } else {
            ck_assert(op_from_name(str_from_cstr(want[i]), &back));
            ck_assert_int_eq(back, i);
        }
    }
    ck_assert_str_eq(op_name((enum op_kind)99), "unknown");
    int channel = 0;
    for (int i = 0; i < OP_KIND_COUNT; i++)
        channel += op_is_channel((enum op_kind)i);
    ck_assert_int_eq(channel, 6);
    ck_assert(op_is_channel(OP_SELECT_NO_CASES));
    ck_assert(op_is_channel(OP_CHAN_RECEIVE_NIL));
    ck_assert(!op_is_channel(OP_MUTEX_LOCK));
    ck_assert(!op_is_channel(OP_UNKNOWN));
}
END_TEST

static Suite *classify_suite(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("pprof");
    tcase_add_test(tc, test_pprof_channel_ops);
    tcase_add_test(tc, test_pprof_sync_ops);
    tcase_add_test(tc, test_pprof_other_ops);
    suite_add_tcase(s, tc);
    tc = tcase_create("debug2");
    tcase_add_test(tc, test_debug2_sync_every_release_agrees);
    tcase_add_test(tc, test_debug2_channel_and_other_reasons);
    tcase_add_test(tc, test_debug2_verbatim_reasons);
    suite_add_tcase(s, tc);
    tc = tcase_create("debug1");
    tcase_add_test(tc, test_debug1_visible_frames);
    tcase_add_test(tc, test_autogenerated_wrapper_is_not_a_site);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_add_test(tc, test_op_names);
    suite_add_tcase(s, tc);
    return s;
}

LF_CHECK_MAIN(classify_suite)
