# leakfleet - one non-recursive Makefile. Objects in build/, sanitizer objects in
# build/san/, binaries in bin/. `make V=1` prints full commands.
#
#   make             bin/leakfleet and bin/leakfleet-agent
#   make test        deps (as root), build, every test (unit under ASan+UBSan, golden,
#                    fuzz regressions, integration, browser)
#   make demo        the whole system running on this machine, with data
#   make bench       benchmarks, printed as ratios against references
#   make fuzz        libFuzzer on every parser (FUZZ_SECONDS=60 each)
#   make lint fmt fmt-check check-headers
#   make install     binaries, default configs and systemd units (PREFIX=/usr/local DESTDIR=)
#   make deb         build/deb/leakfleet_V_ARCH.deb and leakfleet-agent_V_ARCH.deb

CC      ?= cc
CLANG   ?= clang
Q       := $(if $(V),,@)
PKGS    := libmicrohttpd sqlite3 jansson libcurl zlib yaml-0.1 libsodium

# Warnings are errors with DEVELOPER=1 (what `make test`, `make demo` and CI build with),
# as in Git: a user's newer compiler with a new warning still builds a plain `make`.
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wold-style-definition -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 \
           -Wvla -Wimplicit-fallthrough -Wundef -Wnull-dereference -Wconversion \
           -Wsign-conversion $(if $(DEVELOPER),-Werror)
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS  ?= -g -O2
# The binaries of bin/ (not the sanitizer or fuzz builds) get Debian's hardening: stack
# protector, fortified libc calls, full RELRO.
HARDEN_CFLAGS  ?= -fstack-protector-strong -fstack-clash-protection -D_FORTIFY_SOURCE=2
HARDEN_LDFLAGS ?= -Wl,-z,relro -Wl,-z,now
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
ALL_CFLAGS  = $(CSTD) $(CFLAGS) $(WARN) -Ibase -Iserver -Ibuild/gen $(PKG_CFLAGS) -MMD -MP

SANITIZE ?= address,undefined
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

# base/: what both programs stand on (errors, allocation, strings, logs, the config file,
# decoding, UTF-8, units, options); server/: the core library; the commands and the CLI
# helpers are the thin client (curl's lib/ and src/).
BASE_SRCS  := $(wildcard base/*.c)
LIB_SRCS   := $(BASE_SRCS) \
              $(filter-out server/main.c server/cli.c server/cmd_%.c,$(wildcard server/*.c))
CLI_SRCS   := server/main.c server/cli.c $(wildcard server/cmd_*.c)
AGENT_SRCS := $(wildcard agent/*.c)
GEN_SRCS   := build/gen/schema_sql.c build/gen/web_assets.c
SCHEMA     := $(sort $(wildcard schema/*.sql))
WEB_FILES   = $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg) $(wildcard build/web/*))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJS     := $(LIB_SRCS:%.c=build/%.o) $(GEN_SRCS:build/gen/%.c=build/gen/%.o)
BASE_OBJS    := $(BASE_SRCS:%.c=build/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=build/san/%.o) $(GEN_SRCS:build/gen/%.c=build/san/gen/%.o)
CLI_OBJS     := $(CLI_SRCS:%.c=build/%.o)
AGENT_OBJS   := $(AGENT_SRCS:%.c=build/%.o)
UNIT_BINS    := $(UNIT_SRCS:tests/unit/%.c=build/san/tests/%)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
REGRESS_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/san/regress/%)

.PHONY: all deps test unit golden integration web-test regress demo bench fuzz lint fmt \
        fmt-check check-headers clean golden-update go-fixture
.DELETE_ON_ERROR:

all: bin/leakfleet bin/leakfleet-agent

deps:
	$(Q)tools/deps.sh test

# ---- generated sources --------------------------------------------------------------

build/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(Q)$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

build/gen/schema_sql.c: build/tools/embed $(SCHEMA)
	@mkdir -p $(@D)
	$(Q)build/tools/embed embedded_schema $@ schema/ $(SCHEMA)

build/gen/web_assets.c: build/tools/embed $(WEB_FILES) | web-bundle
	@mkdir -p $(@D)
	$(Q)build/tools/embed embedded_web $@ web/ $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg)) \
		$$(ls build/web/* 2>/dev/null | sort)

# The dashboard's npm dependencies are bundled into build/web/ by web/bundle.sh. The shell
# lists build/web/ when the recipe runs: make's own wildcard cache predates the bundle.
.PHONY: web-bundle
web-bundle:
	$(Q)if [ -x web/bundle.sh ]; then web/bundle.sh; fi

# ---- objects and binaries -------------------------------------------------------------

build/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(HARDEN_CFLAGS) -c -o $@ $<

build/gen/%.o: build/gen/%.c
	$(Q)$(CC) $(CSTD) $(CFLAGS) $(HARDEN_CFLAGS) -Ibase -Iserver -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC san  $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -c -o $@ $<

build/san/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CSTD) -g -O1 -Ibase -Iserver $(SAN_FLAGS) -c -o $@ $<

build/libleakfleet.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

build/libleakfleet-base.a: $(BASE_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

build/san/libleakfleet.a: $(SAN_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

bin/leakfleet: $(CLI_OBJS) build/libleakfleet.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(HARDEN_LDFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) build/libleakfleet.a \
		$(PKG_LIBS)

bin/leakfleet-agent: $(AGENT_OBJS) build/libleakfleet-base.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(HARDEN_LDFLAGS) $(LDFLAGS) -o $@ $(AGENT_OBJS) build/libleakfleet-base.a \
		-Wl,--as-needed $(PKG_LIBS)

# ---- tests ----------------------------------------------------------------------------

# Every unit test links the helpers of tests/unit/testutil.c.
TESTUTIL_OBJ := build/san/tests/unit/testutil.o
build/san/tests/%: tests/unit/%.c $(TESTUTIL_OBJ) build/san/libleakfleet.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC test $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -Itests/unit -o $@ $< $(TESTUTIL_OBJ) \
		build/san/libleakfleet.a $(PKG_LIBS) $(CHECK_LIBS)

# Unit tests of the agent (tests/unit/test_agent_*.c) also link agent/*.c except main.c.
SAN_AGENT_OBJS := $(filter-out build/san/agent/main.o,$(AGENT_SRCS:%.c=build/san/%.o))
AGENT_UNIT_BINS := $(filter build/san/tests/test_agent_%,$(UNIT_BINS))
$(AGENT_UNIT_BINS): build/san/tests/test_agent_%: tests/unit/test_agent_%.c $(SAN_AGENT_OBJS) \
		$(TESTUTIL_OBJ) build/san/libleakfleet.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC test $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -Itests/unit -Iagent -o $@ $< $(SAN_AGENT_OBJS) \
		$(TESTUTIL_OBJ) build/san/libleakfleet.a $(PKG_LIBS) $(CHECK_LIBS)

build/san/regress/%: tests/fuzz/%.c tests/fuzz/regress_main.c build/san/libleakfleet.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -DLF_FUZZ_CORPUS='"tests/fuzz/corpus/$(patsubst fuzz_%,%,$*)"' \
		-o $@ $< tests/fuzz/regress_main.c \
		build/san/libleakfleet.a $(PKG_LIBS)

# libFuzzer builds: the library is compiled once for every target (instrumented, without
# libFuzzer's main), each target links it.
FUZZ_CFLAGS   := $(CSTD) -g -O1 -Ibase -Iserver -Ibuild/gen $(PKG_CFLAGS)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=build/fuzz/obj/%.o) $(GEN_SRCS:build/gen/%.c=build/fuzz/obj/gen/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
build/fuzz/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<
build/fuzz/libfuzz.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libfuzz.a
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
		build/fuzz/libfuzz.a $(PKG_LIBS)

# The text parsers' targets share their chunked-feeding harness.
$(foreach d,fuzz_debug1 fuzz_debug2,build/san/regress/$(d) build/fuzz/$(d)): tests/fuzz/chunked.h

# Fuzz targets of the agent's own parsers (fuzz_promtext) also build the agent sources
# they test, with -Iagent.
FUZZ_AGENT_SRCS := agent/promtext.c agent/target_meta.c agent/discovery.c agent/targets.c \
                   agent/scrape.c
FUZZ_AGENT      := fuzz_promtext fuzz_discovery
$(FUZZ_AGENT:%=build/san/regress/%): build/san/regress/%: tests/fuzz/%.c tests/fuzz/regress_main.c \
		$(FUZZ_AGENT_SRCS:%.c=build/san/%.o) build/san/libleakfleet.a
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -Iagent \
		-DLF_FUZZ_CORPUS='"tests/fuzz/corpus/$(patsubst fuzz_%,%,$*)"' -o $@ $< \
		tests/fuzz/regress_main.c $(FUZZ_AGENT_SRCS:%.c=build/san/%.o) build/san/libleakfleet.a \
		$(PKG_LIBS)

$(FUZZ_AGENT:%=build/fuzz/%): build/fuzz/%: tests/fuzz/%.c build/fuzz/libfuzz.a \
		$(FUZZ_AGENT_SRCS:%.c=build/fuzz/obj/%.o)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Iagent -fsanitize=fuzzer,address,undefined -o $@ $< \
		$(FUZZ_AGENT_SRCS:%.c=build/fuzz/obj/%.o) build/fuzz/libfuzz.a $(PKG_LIBS)

go-fixture:
	$(Q)if [ -f tests/goleaky/build.sh ]; then tests/goleaky/build.sh; fi

unit: $(UNIT_BINS) go-fixture
	$(Q)tools/run_tests.sh unit $(UNIT_BINS)

regress: $(REGRESS_BINS)
	$(Q)tools/run_tests.sh regress $(REGRESS_BINS)

integration: all go-fixture build/tools/fleetsim
	$(Q)tools/run_tests.sh integration $(sort $(wildcard tests/integration/test_*.sh))

web-test: all
	$(Q)tools/run_tests.sh web $(sort $(wildcard tests/web/test_*.sh))

test: deps
	$(Q)$(MAKE) --no-print-directory DEVELOPER=1 all build/tools/fleetsim $(UNIT_BINS) \
		$(REGRESS_BINS)
	$(Q)$(MAKE) --no-print-directory go-fixture
	$(Q)tools/run_tests.sh all $(UNIT_BINS) $(REGRESS_BINS) \
		$(sort $(wildcard tests/golden/test_*.sh tests/integration/test_*.sh tests/web/test_*.sh))

fuzz: $(FUZZ_BINS)
	$(Q)tools/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

demo:
	$(Q)tools/deps.sh demo
	$(Q)$(MAKE) --no-print-directory DEVELOPER=1 all go-fixture
	$(Q)tools/demo.sh

.PHONY: bench-agent
bench-agent: all go-fixture
	$(Q)tests/bench/bench_agent.sh

# The simulators (tools/fleetsim.c, tools/detectsim.c, sharing the profile encoder and the
# HTTP pool of tools/simprofile.c and tools/simpush.c) and what runs them: minutes each,
# not in `make test`.
SIM_OBJS := build/tools/simprofile.o build/tools/simpush.o
build/tools/fleetsim build/tools/detectsim: build/tools/%: build/tools/%.o $(SIM_OBJS) \
		build/libleakfleet.a
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(SIM_OBJS) build/libleakfleet.a $(PKG_LIBS)

# The simulated clock the detection bench runs the server under (LD_PRELOAD): time()
# answers what detectsim writes into a file.
build/tools/simclock.so: tools/simclock.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CSTD) $(CFLAGS) $(WARN) -fPIC -shared -o $@ $<

.PHONY: bench-fleet soak bench-detect bench-detect-scale
bench-fleet: all build/tools/fleetsim
	$(Q)tests/bench/bench_fleet.sh

bench-detect: all build/tools/detectsim build/tools/simclock.so
	$(Q)tests/bench/detect_scenarios.sh

bench-detect-scale: all build/tools/detectsim build/tools/simclock.so
	$(Q)tests/bench/detect_scale.sh

soak: all build/tools/fleetsim
	$(Q)tools/run_tests.sh soak $(sort $(wildcard tests/soak/test_*.sh))

.PHONY: bench-ingest
bench-ingest: all
	$(Q)command -v wrk >/dev/null || tools/deps.sh bench
	$(Q)tests/bench/bench_ingest.sh

bench: all go-fixture
	$(Q)tools/deps.sh bench
	$(Q)for b in $(sort $(wildcard tests/bench/bench_*.sh)); do $$b || exit 1; done

# ---- install and packages -------------------------------------------------------------
# `make install PREFIX=/usr DESTDIR=/tmp/root`: with PREFIX=/usr the configs go to /etc
# and the units to /lib/systemd/system (Debian 12's place), otherwise under PREFIX.
# Configs already there are kept (a note says so): an install never overwrites an
# administrator's file. install-server and install-agent are the two packages' halves.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DOCDIR     ?= $(PREFIX)/share/doc
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=
SUBST       = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
                  -e 's|@DOCDIR@|$(DOCDIR)|g'

# install_conf SRC DEST MODE: a config from its template, unless DEST exists
define install_conf
	$(Q)if [ -e "$(DESTDIR)$(2)" ]; then echo "  KEEP    $(DESTDIR)$(2) (exists; the new one is $(1))"; \
	else install -d -m 0755 "$$(dirname "$(DESTDIR)$(2)")" && $(SUBST) $(1) >"$(DESTDIR)$(2)" && \
		chmod $(3) "$(DESTDIR)$(2)" && echo "  INSTALL $(DESTDIR)$(2)"; fi
endef

.PHONY: install install-server install-agent deb
install: install-server install-agent

install-server: bin/leakfleet
	$(Q)install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/leakfleet
	$(Q)install -m 0755 bin/leakfleet $(DESTDIR)$(BINDIR)/leakfleet
	$(call install_conf,packaging/leakfleet.yaml.in,$(SYSCONFDIR)/leakfleet/leakfleet.yaml,0644)
	$(Q)$(SUBST) packaging/leakfleet.service.in >$(DESTDIR)$(UNITDIR)/leakfleet.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/leakfleet.service
	$(Q)install -m 0644 README.md docs/config.md docs/operations.md docs/deploy.md \
		docs/threat-model.md docs/api.md docs/formats.md docs/integrations.md \
		$(DESTDIR)$(DOCDIR)/leakfleet/
	$(Q)install -D -m 0644 packaging/man/leakfleet.1 $(DESTDIR)$(MANDIR)/man1/leakfleet.1

install-agent: bin/leakfleet-agent
	$(Q)install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DOCDIR)/leakfleet-agent $(DESTDIR)$(SYSCONFDIR)/leakfleet/targets.d
	$(Q)install -m 0755 bin/leakfleet-agent $(DESTDIR)$(BINDIR)/leakfleet-agent
	$(call install_conf,packaging/agent.yaml.in,$(SYSCONFDIR)/leakfleet/agent.yaml,0644)
	$(call install_conf,packaging/agent.env,$(SYSCONFDIR)/leakfleet/agent.env,0600)
	$(Q)$(SUBST) packaging/leakfleet-agent.service.in >$(DESTDIR)$(UNITDIR)/leakfleet-agent.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/leakfleet-agent.service
	$(Q)install -m 0644 README.md docs/config.md docs/deploy.md \
		$(DESTDIR)$(DOCDIR)/leakfleet-agent/
	$(Q)install -D -m 0644 packaging/man/leakfleet-agent.1 \
		$(DESTDIR)$(MANDIR)/man1/leakfleet-agent.1

# Two Debian packages from bin/ (tools/deb.sh: dpkg-deb, no debhelper needed).
deb: all
	$(Q)tools/deb.sh

# ---- hygiene --------------------------------------------------------------------------

BANNED := sprintf|vsprintf|strcat|strncat|strcpy|strncpy|gets|strtok|atoi|atol|sscanf
lint:
	$(Q)if grep -nEw '($(BANNED))[[:space:]]*\(' base/*.c base/*.h server/*.c server/*.h agent/*.c agent/*.h \
		tests/unit/*.c 2>/dev/null | grep -vE 'v?snprintf'; then \
		echo "lint: banned function (see STYLE: use snprintf, memcpy, strtoll)"; exit 1; fi

fmt:
	$(Q)clang-format -i base/*.[ch] server/*.[ch] agent/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch]

fmt-check:
	$(Q)clang-format --dry-run --Werror base/*.[ch] server/*.[ch] agent/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch]

check-headers:
	$(Q)for h in $(wildcard base/*.h server/*.h agent/*.h); do \
		printf '#include "%s"\n' "$$(basename $$h)" | \
		$(CC) $(ALL_CFLAGS) -I$$(dirname $$h) -x c -fsyntax-only -o /dev/null - || exit 1; \
	done; echo "check-headers: ok"

golden-update: bin/leakfleet
	$(Q)tests/golden/update.sh

clean:
	rm -rf build bin

-include $(shell find build -path build/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
