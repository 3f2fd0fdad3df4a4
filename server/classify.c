/* classify.c - the op and the site of one stack, from tables of the Go runtime's wait
 * reasons (Go 1.19 through 1.27) and of the runtime and standard-library functions that
 * implement each blocking operation. Pure functions over borrowed views: no allocation,
 * cost linear in the frames it has to skip (usually a handful).
 * The site skip set is the same for every op, so a debug=1 stack whose op is unknown
 * still lands on the same site as the pprof and debug=2 stacks of the same goroutines. */
#include "classify.h"

#include <string.h>

/* Table entries carry their lengths, so a look-up rejects most names on the length or
 * the first byte: classify runs once per stack, 250,000 times for a large debug=2 dump. */
#define NAME(s)                                                                                    \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }

static bool name_eq(struct str s, struct str name)
{
    return s.len == name.len && s.len > 0 && s.p[0] == name.p[0] && memcmp(s.p, name.p, s.len) == 0;
}

static bool name_starts(struct str s, struct str prefix)
{
    return s.len >= prefix.len && s.p[0] == prefix.p[0] && memcmp(s.p, prefix.p, prefix.len) == 0;
}

static const char *const op_names[OP_KIND_COUNT] = {
    [OP_UNKNOWN] = "unknown",
    [OP_CHAN_SEND] = "chan send",
    [OP_CHAN_RECEIVE] = "chan receive",
    [OP_SELECT] = "select",
    [OP_SELECT_NO_CASES] = "select (no cases)",
    [OP_CHAN_SEND_NIL] = "chan send (nil chan)",
    [OP_CHAN_RECEIVE_NIL] = "chan receive (nil chan)",
    [OP_MUTEX_LOCK] = "sync.Mutex.Lock",
    [OP_RWMUTEX_LOCK] = "sync.RWMutex.Lock",
    [OP_RWMUTEX_RLOCK] = "sync.RWMutex.RLock",
    [OP_WAITGROUP_WAIT] = "sync.WaitGroup.Wait",
    [OP_COND_WAIT] = "sync.Cond.Wait",
    [OP_SEMACQUIRE] = "semacquire",
    [OP_IO_WAIT] = "IO wait",
    [OP_SLEEP] = "sleep",
    [OP_SYSCALL] = "syscall",
    [OP_RUNNING] = "running",
    [OP_RUNNABLE] = "runnable",
    [OP_OTHER] = "other",
};

const char *op_name(enum op_kind op)
{
    if ((int)op < 0 || (int)op >= OP_KIND_COUNT)
        return "unknown";
    return op_names[op];
}

bool op_from_name(struct str words, enum op_kind *out)
{
    for (int i = 0; i < OP_KIND_COUNT; i++) {
        if (i != OP_OTHER && str_eq_cstr(words, op_names[i])) {
            *out = (enum op_kind)i;
            return true;
        }
    }
    return false;
}

bool op_is_channel(enum op_kind op)
{
    switch (op) {
    case OP_CHAN_SEND:
    case OP_CHAN_RECEIVE:
    case OP_SELECT:
    case OP_SELECT_NO_CASES:
    case OP_CHAN_SEND_NIL:
    case OP_CHAN_RECEIVE_NIL:
        return true;
    default:
        return false;
    }
}

bool op_is_busy(enum op_kind op)
{
    return op == OP_RUNNING || op == OP_RUNNABLE || op == OP_IO_WAIT || op == OP_SYSCALL;
}

bool op_can_leak(enum op_kind op)
{
    switch (op) {
    case OP_MUTEX_LOCK:
    case OP_RWMUTEX_LOCK:
    case OP_RWMUTEX_RLOCK:
    case OP_WAITGROUP_WAIT:
    case OP_COND_WAIT:
        return true;
    default:
        return op_is_channel(op);
    }
}

/* ---- wait reasons ------------------------------------------------------------------ */

/* Every status a debug=2 header can carry, from runtime2.go's waitReasonStrings and
 * gStatusStrings of Go 1.19 through 1.27. Reasons that are not leakfleet ops are
 * OP_OTHER with their own words. */
struct reason_entry {
    struct str words; /* a literal: NUL-terminated */
    enum op_kind op;
};

static const struct reason_entry reasons[] = {
    { NAME("chan send"), OP_CHAN_SEND },
    { NAME("chan receive"), OP_CHAN_RECEIVE },
    { NAME("select"), OP_SELECT },
    { NAME("select (no cases)"), OP_SELECT_NO_CASES },
    { NAME("chan send (nil chan)"), OP_CHAN_SEND_NIL },
    { NAME("chan receive (nil chan)"), OP_CHAN_RECEIVE_NIL },
    { NAME("sync.Mutex.Lock"), OP_MUTEX_LOCK },         /* Go 1.20+ */
    { NAME("sync.RWMutex.Lock"), OP_RWMUTEX_LOCK },     /* Go 1.20+ */
    { NAME("sync.RWMutex.RLock"), OP_RWMUTEX_RLOCK },   /* Go 1.20+ */
    { NAME("sync.WaitGroup.Wait"), OP_WAITGROUP_WAIT }, /* Go 1.25+ */
    { NAME("sync.Cond.Wait"), OP_COND_WAIT },
    { NAME("semacquire"), OP_SEMACQUIRE },
    { NAME("IO wait"), OP_IO_WAIT },
    { NAME("sleep"), OP_SLEEP },
    { NAME("syscall"), OP_SYSCALL },
    { NAME("running"), OP_RUNNING },
    { NAME("runnable"), OP_RUNNABLE },
    /* goroutine states (gStatusStrings) */
    { NAME("idle"), OP_OTHER },
    { NAME("waiting"), OP_OTHER },
    { NAME("dead"), OP_OTHER },
    { NAME("copystack"), OP_OTHER },
    { NAME("preempted"), OP_OTHER },
    { NAME("leaked"), OP_OTHER },
    /* the runtime's own waits */
    { NAME("GC assist marking"), OP_OTHER },
    { NAME("dumping heap"), OP_OTHER },
    { NAME("garbage collection"), OP_OTHER },
    { NAME("garbage collection scan"), OP_OTHER },
    { NAME("panicwait"), OP_OTHER },
    { NAME("GC assist wait"), OP_OTHER },
    { NAME("GC sweep wait"), OP_OTHER },
    { NAME("GC scavenge wait"), OP_OTHER },
    { NAME("finalizer wait"), OP_OTHER },
    { NAME("force gc (idle)"), OP_OTHER },
    { NAME("GOMAXPROCS updater (idle)"), OP_OTHER },
    { NAME("timer goroutine (idle)"), OP_OTHER },
    { NAME("trace reader (blocked)"), OP_OTHER },
    { NAME("wait for GC cycle"), OP_OTHER },
    { NAME("GC worker (idle)"), OP_OTHER },
    { NAME("GC worker (active)"), OP_OTHER },
    { NAME("debug call"), OP_OTHER },
    { NAME("GC mark termination"), OP_OTHER },
    { NAME("stopping the world"), OP_OTHER },
    { NAME("flushing proc caches"), OP_OTHER },
    { NAME("trace goroutine status"), OP_OTHER },
    { NAME("trace proc status"), OP_OTHER },
    { NAME("page trace flush"), OP_OTHER },
    { NAME("coroutine"), OP_OTHER },
    { NAME("GC weak to strong wait"), OP_OTHER },
    { NAME("cleanup wait"), OP_OTHER },
    { NAME("synctest.Run"), OP_OTHER },
    { NAME("synctest.Wait"), OP_OTHER },
    /* Go 1.24 says "(synctest)", Go 1.25+ "(durable)": kept apart from the real ops,
     * since a goroutine waiting inside a synctest bubble is a test, not a leak */
    { NAME("chan receive (synctest)"), OP_OTHER },
    { NAME("chan send (synctest)"), OP_OTHER },
    { NAME("select (synctest)"), OP_OTHER },
    { NAME("sync.WaitGroup.Wait (synctest)"), OP_OTHER },
    { NAME("chan receive (durable)"), OP_OTHER },
    { NAME("chan send (durable)"), OP_OTHER },
    { NAME("select (durable)"), OP_OTHER },
    { NAME("sync.WaitGroup.Wait (durable)"), OP_OTHER },
};

static const struct reason_entry *reason_lookup(struct str reason)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (name_eq(reason, reasons[i].words))
            return &reasons[i];
    }
    return NULL;
}

/* ---- frames ------------------------------------------------------------------------ */

/* Prefixes of the functions that implement blocking operations: the runtime, sync, the
 * poller and the net/os file plumbing over it, syscalls, time.Sleep, the profile
 * writer, and reflect's channel calls. The site is the first frame outside them. */
static const struct str skip_prefixes[] = {
    NAME("runtime."),
    NAME("runtime/internal/"),
    NAME("internal/runtime/"),
    NAME("runtime/pprof."),
    NAME("reflect.rselect"),
    NAME("reflect.Select"),
    NAME("reflect.chansend"),
    NAME("reflect.chanrecv"),
    NAME("reflect.Value.Send"),
    NAME("reflect.Value.Recv"),
    NAME("reflect.Value.send"),
    NAME("reflect.Value.recv"),
    NAME("sync."),
    NAME("internal/sync."),
    NAME("internal/poll."),
    NAME("internal/syscall/"),
    NAME("syscall."),
    NAME("golang.org/x/sys/unix."),
    NAME("time.Sleep"),
    NAME("os.(*File)."),
    NAME("os.(*rawConn)."),
    NAME("net.(*netFD)."),
    NAME("net.(*conn)."),
    NAME("net.(*rawConn)."),
    NAME("net.(*TCPListener)."),
    NAME("net.(*TCPConn)."),
    NAME("net.(*UnixListener)."),
    NAME("net.(*UnixConn)."),
    NAME("net.(*UDPConn)."),
    NAME("net.(*IPConn)."),
};

static bool frame_is_plumbing(const struct stack_frame *frame)
{
    /* compiler-made wrappers (an embedded interface's method) only forward the call */
    static const struct str autogenerated = NAME("<autogenerated>");
    static const struct str gopanic = NAME("panic");
    if (name_eq(frame->file, autogenerated))
        return true;
    struct str function = frame->function;
    /* tracebacks name runtime.gopanic "panic" */
    if (name_eq(function, gopanic))
        return true;
    for (size_t i = 0; i < sizeof(skip_prefixes) / sizeof(skip_prefixes[0]); i++) {
        if (name_starts(function, skip_prefixes[i]))
            return true;
    }
    return false;
}

/* What a single frame proves about the op. */
enum evidence {
    EV_NONE,
    EV_CHAN,      /* a channel op: kind in frame_evidence's *op */
    EV_PRIMITIVE, /* a sync primitive's method: Mutex.Lock, WaitGroup.Wait, ... */
    EV_SEMA,      /* a bare semaphore acquire */
    EV_OTHER,     /* IO wait, sleep, running */
};

struct frame_rule {
    struct str function; /* exact name */
    enum evidence evidence;
    enum op_kind op;
};

static const struct frame_rule frame_rules[] = {
    { NAME("runtime.block"), EV_CHAN, OP_SELECT_NO_CASES },
    { NAME("runtime.selectgo"), EV_CHAN, OP_SELECT },
    { NAME("reflect.rselect"), EV_CHAN, OP_SELECT },
    { NAME("runtime.chansend"), EV_CHAN, OP_CHAN_SEND },
    { NAME("runtime.chansend1"), EV_CHAN, OP_CHAN_SEND },
    { NAME("runtime.selectnbsend"), EV_CHAN, OP_CHAN_SEND },
    { NAME("runtime.reflect_chansend"), EV_CHAN, OP_CHAN_SEND },
    { NAME("reflect.chansend"), EV_CHAN, OP_CHAN_SEND },
    { NAME("reflect.chansend0"), EV_CHAN, OP_CHAN_SEND },
    { NAME("runtime.chanrecv"), EV_CHAN, OP_CHAN_RECEIVE },
    { NAME("runtime.chanrecv1"), EV_CHAN, OP_CHAN_RECEIVE },
    { NAME("runtime.chanrecv2"), EV_CHAN, OP_CHAN_RECEIVE },
    { NAME("runtime.selectnbrecv"), EV_CHAN, OP_CHAN_RECEIVE },
    { NAME("runtime.selectnbrecv2"), EV_CHAN, OP_CHAN_RECEIVE },
    { NAME("runtime.reflect_chanrecv"), EV_CHAN, OP_CHAN_RECEIVE },
    { NAME("reflect.chanrecv"), EV_CHAN, OP_CHAN_RECEIVE },
    { NAME("sync.(*Mutex).Lock"), EV_PRIMITIVE, OP_MUTEX_LOCK },
    { NAME("sync.(*Mutex).lockSlow"), EV_PRIMITIVE, OP_MUTEX_LOCK },
    { NAME("internal/sync.(*Mutex).Lock"), EV_PRIMITIVE, OP_MUTEX_LOCK },
    { NAME("internal/sync.(*Mutex).lockSlow"), EV_PRIMITIVE, OP_MUTEX_LOCK },
    { NAME("sync.(*RWMutex).Lock"), EV_PRIMITIVE, OP_RWMUTEX_LOCK },
    { NAME("sync.(*RWMutex).RLock"), EV_PRIMITIVE, OP_RWMUTEX_RLOCK },
    { NAME("sync.(*WaitGroup).Wait"), EV_PRIMITIVE, OP_WAITGROUP_WAIT },
    { NAME("sync.(*Cond).Wait"), EV_PRIMITIVE, OP_COND_WAIT },
    { NAME("sync.runtime_notifyListWait"), EV_PRIMITIVE, OP_COND_WAIT },
    { NAME("sync.runtime_Semacquire"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("sync.runtime_SemacquireMutex"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("sync.runtime_SemacquireRWMutex"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("sync.runtime_SemacquireRWMutexR"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("sync.runtime_SemacquireWaitGroup"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("internal/sync.runtime_SemacquireMutex"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("internal/poll.runtime_Semacquire"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("runtime.semacquire"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("runtime.semacquire1"), EV_SEMA, OP_SEMACQUIRE },
    { NAME("internal/poll.runtime_pollWait"), EV_OTHER, OP_IO_WAIT },
    { NAME("runtime.netpollblock"), EV_OTHER, OP_IO_WAIT },
    { NAME("runtime.poll_runtime_pollWait"), EV_OTHER, OP_IO_WAIT },
    { NAME("time.Sleep"), EV_OTHER, OP_SLEEP },
    { NAME("runtime.timeSleep"), EV_OTHER, OP_SLEEP },
    { NAME("runtime.goroutineProfileWithLabels"), EV_OTHER, OP_RUNNING },
    { NAME("runtime.goroutineProfileWithLabelsConcurrent"), EV_OTHER, OP_RUNNING },
    { NAME("runtime.goroutineProfileWithLabelsSync"), EV_OTHER, OP_RUNNING },
    { NAME("runtime/pprof.runtime_goroutineProfileWithLabels"), EV_OTHER, OP_RUNNING },
    { NAME("runtime/pprof.writeGoroutineStacks"), EV_OTHER, OP_RUNNING },
    { NAME("runtime.Stack"), EV_OTHER, OP_RUNNING },
};

static const struct frame_rule *frame_lookup(struct str function)
{
    for (size_t i = 0; i < sizeof(frame_rules) / sizeof(frame_rules[0]); i++) {
        if (name_eq(function, frame_rules[i].function))
            return &frame_rules[i];
    }
    return NULL;
}

/* A syscall leaf: the traceback of a goroutine in a system call starts at the Go
 * function that entered it. */
static bool frame_is_syscall(struct str function)
{
    static const struct str prefixes[] = {
        NAME("syscall."),
        NAME("internal/syscall/"),
        NAME("golang.org/x/sys/unix."),
    };
    static const struct str names[] = {
        NAME("runtime.entersyscall"),
        NAME("runtime.entersyscallblock"),
        NAME("runtime.cgocall"),
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (name_starts(function, prefixes[i]))
            return true;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (name_eq(function, names[i]))
            return true;
    }
    return false;
}

/* A nil channel parks in the first lines of runtime.chansend / runtime.chanrecv (the
 * `if c == nil` block opens both functions), an open one about a hundred lines further
 * down. The park line measured from the line of the chansend1/chanrecv1/chanrecv2 call
 * tells them apart in every release: 1.19 parks a nil send 20 lines after chansend1's
 * call and an open one 114 lines after it (receives: 27 and 141). */
#define NIL_CHAN_MAX_DISTANCE 60

static enum op_kind chan_refine_nil(const struct stack *stack, size_t i, enum op_kind op)
{
    if (i + 1 >= stack->n_frames)
        return op;
    const struct stack_frame *park = &stack->frames[i];
    const struct stack_frame *entry = &stack->frames[i + 1];
    int64_t distance = park->line - entry->line;
    if (distance <= 0 || distance > NIL_CHAN_MAX_DISTANCE || entry->line <= 0)
        return op;
    if (op == OP_CHAN_SEND && str_eq_cstr(park->function, "runtime.chansend") &&
        str_eq_cstr(entry->function, "runtime.chansend1"))
        return OP_CHAN_SEND_NIL;
    if (op == OP_CHAN_RECEIVE && str_eq_cstr(park->function, "runtime.chanrecv") &&
        (str_eq_cstr(entry->function, "runtime.chanrecv1") ||
         str_eq_cstr(entry->function, "runtime.chanrecv2")))
        return OP_CHAN_RECEIVE_NIL;
    return op;
}

/* What the frames say: the innermost evidence decides the family; for sync, the
 * outermost primitive of the leading plumbing names what the caller called
 * (RWMutex.Lock, not the Mutex.Lock inside it). Sets *site to the first frame outside
 * the plumbing, or n_frames when there is none. */
static enum op_kind ops_from_frames(const struct stack *stack, enum op_kind *primitive,
                                    size_t *site)
{
    enum op_kind first = OP_UNKNOWN;
    *primitive = OP_UNKNOWN;
    size_t i = 0;
    if (stack->n_frames > 0 && frame_is_syscall(stack->frames[0].function))
        first = OP_SYSCALL;
    for (; i < stack->n_frames; i++) {
        struct str function = stack->frames[i].function;
        if (!frame_is_plumbing(&stack->frames[i]))
            break;
        const struct frame_rule *rule = frame_lookup(function);
        if (rule == NULL)
            continue;
        switch (rule->evidence) {
        case EV_CHAN:
            if (first == OP_UNKNOWN)
                first = chan_refine_nil(stack, i, rule->op);
            break;
        case EV_PRIMITIVE:
            *primitive = rule->op;
            if (first == OP_UNKNOWN)
                first = OP_SEMACQUIRE;
            break;
        case EV_SEMA:
            if (first == OP_UNKNOWN)
                first = OP_SEMACQUIRE;
            break;
        case EV_OTHER:
            if (first == OP_UNKNOWN)
                first = rule->op;
            break;
        case EV_NONE:
            break;
        }
    }
    *site = i;
    if (first == OP_SEMACQUIRE && *primitive != OP_UNKNOWN)
        return *primitive;
    return first;
}

static bool op_is_sync(enum op_kind op)
{
    return op == OP_MUTEX_LOCK || op == OP_RWMUTEX_LOCK || op == OP_RWMUTEX_RLOCK ||
           op == OP_WAITGROUP_WAIT || op == OP_COND_WAIT || op == OP_SEMACQUIRE;
}

void classify_stack(const struct stack *stack, struct site *out)
{
    enum op_kind primitive = OP_UNKNOWN;
    size_t site = 0;
    enum op_kind from_frames = ops_from_frames(stack, &primitive, &site);
    enum op_kind op = from_frames;
    const char *text = NULL;
    struct str words = STR_NULL;

    if (!str_is_empty(stack->wait_reason)) {
        const struct reason_entry *entry = reason_lookup(stack->wait_reason);
        if (entry == NULL) {
            op = OP_OTHER;
            words = stack->wait_reason;
        } else if (op_is_sync(entry->op) && primitive != OP_UNKNOWN) {
            op = primitive; /* Go 1.19 "semacquire" and 1.20+ agree on the primitive */
        } else {
            op = entry->op;
            if (op == OP_OTHER)
                text = entry->words.p;
        }
    }
    if (op != OP_OTHER)
        text = op_name(op);
    if (text != NULL)
        words = str_from_cstr(text);

    if (site >= stack->n_frames && stack->n_frames > 0) {
        /* nothing but plumbing (a runtime goroutine): the outermost frame names it */
        site = stack->n_frames - 1;
        if (site > 0 && str_eq_cstr(stack->frames[site].function, "runtime.goexit"))
            site--;
    }
    out->op = op;
    out->op_text = text;
    out->op_words = words;
    out->frame = site;
}
