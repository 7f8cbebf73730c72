# Makefile: builds the XDP programs, their skeletons, one library archive per
# shared folder, the four programs and the tests, out of tree in $(OUT).
# `make help` lists targets.

OUT ?= build
VERSION ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
AR ?= ar
ARCH_INC := /usr/include/$(shell uname -m)-linux-gnu

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# CFLAGS and LDFLAGS are the user's: `make CFLAGS='-O1 -fsanitize=address'`
# adds to the project's flags (DN_CFLAGS), it does not replace them.
CFLAGS ?= -O2 -g
# -Wno-format-truncation: messages and paths are cut by snprintf on purpose;
# gcc 12 flags every such call whose inputs it cannot bound.
DN_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	     -Wno-format-truncation -MMD -MP -Iinclude -Iuser/lib -I$(OUT) \
	     -DDN_VERSION='"$(VERSION)"'
COMPILE = $(CC) $(DN_CFLAGS) $(CFLAGS)

pkg_libs = $(shell pkg-config --libs $(1) 2>/dev/null || echo $(2))
LIBBPF_LIBS := $(call pkg_libs,libbpf,-lbpf) -lelf -lz
LIBXDP_LIBS := $(call pkg_libs,libxdp,-lxdp)
HTTPD_LIBS := $(call pkg_libs,libmicrohttpd gnutls,-lmicrohttpd -lgnutls)
# The .mmdb reader (user/lib/geo_mmdb.c).
GEO_LIBS := $(call pkg_libs,libmaxminddb,-lmaxminddb)
DAEMON_LIBS := $(LIBXDP_LIBS) $(LIBBPF_LIBS) $(HTTPD_LIBS) $(GEO_LIBS) \
	       $(call pkg_libs,yaml-0.1 libcrypt zlib,-lyaml -lcrypt -lz) -lm -lpthread
PCAP_LIBS := -lpcap
# `darknet-counter report` (user/report): an HTTP client and a JSON parser.
REPORT_LIBS := $(call pkg_libs,libcurl jansson,-lcurl -ljansson)

# -I$(ARCH_INC): Debian keeps asm/ under the multiarch directory; we build the
# BPF side against UAPI headers (linux/ip.h etc.), not a generated vmlinux.h.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Iinclude -Ibpf -I$(ARCH_INC) -MMD -MP

BPF_SRCS := $(wildcard bpf/*.bpf.c bpf/bench/*.bpf.c)
BPF_OBJS := $(addprefix $(OUT)/,$(notdir $(BPF_SRCS:.bpf.c=.bpf.o)))
SKELS := $(BPF_OBJS:.bpf.o=.skel.h)

# user/<folder>/*.c -> $(OUT)/user/<folder>/*.o
objs = $(patsubst %.c,$(OUT)/%.o,$(wildcard user/$(1)/*.c))

LIBDARKNET := $(OUT)/libdarknet.a
LIBPKTGEN := $(OUT)/libpktgen.a
LIBREPORT := $(OUT)/libreport.a
# The daemon's modules but main: the unit and e2e tests link them too.
DAEMON_MODS := $(filter-out $(OUT)/user/daemon/main.o,$(call objs,daemon))

DAEMON := $(OUT)/darknet-counter
TRAFGEN := $(OUT)/darknet-trafgen
BENCH := $(OUT)/darknet-bench
PCAP_COUNTER := $(OUT)/darknet-pcap-counter
PROGRAMS := $(DAEMON) $(TRAFGEN) $(BENCH) $(PCAP_COUNTER)

UNIT_TESTS := $(OUT)/tests/unit-tests
BPF_TESTS := $(OUT)/tests/datapath-tests
E2E_TESTS := $(OUT)/tests/e2e-tests
PNG_STATS := $(OUT)/tests/png-stats
CLOCKSHIFT := $(OUT)/tests/libclockshift.so
FAILMAP := $(OUT)/tests/libfailmap.so
TEST_SUPPORT := $(wildcard tests/lib/*.c)
# libFuzzer harnesses (tests/fuzz), built with clang and their own objects:
# libFuzzer's ASan is clang's, not gcc's.
FUZZ_NAMES := prefix list_file webconfig metrics frame geo http
FUZZERS := $(addprefix $(OUT)/fuzz/fuzz_,$(FUZZ_NAMES))
TEST_BINS := $(UNIT_TESTS) $(BPF_TESTS) $(E2E_TESTS) $(PNG_STATS) $(CLOCKSHIFT) $(FAILMAP) \
	     $(FUZZERS)

.PHONY: all help deps test check demo bench soak clean install tests deb test-sanitize fuzz

all: $(PROGRAMS)

help:
	@echo 'Targets:'
	@echo '  all       build the daemon, the traffic generator, the bench and the libpcap peer (default)'
	@echo '  tests     build the test programs'
	@echo '  check     build and run the unit tests (unprivileged, installs nothing)'
	@echo '  deps      install build and test dependencies (Debian 12, root)'
	@echo '  test      install deps, build, run every test tier, then test-sanitize (root)'
	@echo '  fuzz      run each libFuzzer harness (tests/fuzz) for 60 s'
	@echo '  test-sanitize  build with ASan and UBSan into $(SAN_OUT), run the unit and C end-to-end tiers (root)'
	@echo '  demo      install deps, build, run the daemon on the built-in lab (root)'
	@echo '  bench     run the benchmarks and write bench/results-*.txt (root)'
	@echo '  soak      10 minutes of traffic, scrapes, reloads, SIGKILL restarts, hostile clients (root)'
	@echo '  install   install the daemon ($$(PREFIX)/sbin) and the scanner list (/etc/darknet-counter)'
	@echo '  deb       build $(OUT)/darknet-counter_VERSION_ARCH.deb (scripts/make-deb.sh)'
	@echo '  clean     remove $(OUT)'
	@echo 'Variables: V=1 for full commands, OUT=dir for the build directory,'
	@echo '           CFLAGS/LDFLAGS add to the project flags'

deps:
	$(Q)scripts/install-deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)scripts/run-tests.sh $(OUT)
	$(Q)$(MAKE) --no-print-directory test-sanitize

# allocator_may_return_null: a strbuf test asks for an impossible size on
# purpose, which ASan would otherwise abort on (no effect without ASan).
check: all $(UNIT_TESTS)
	$(Q)ASAN_OPTIONS=$${ASAN_OPTIONS:-allocator_may_return_null=1} $(UNIT_TESTS) --verbose=0
	$(Q)tests/tools/check-links.sh $(OUT)

# The unit and C end-to-end tiers built with AddressSanitizer and
# UndefinedBehaviorSanitizer, out of tree in $(SAN_OUT); the end-to-end
# tier runs the sanitized daemon. verify_asan_link_order: the e2e tier
# preloads libraries (tests/tools) ahead of the ASan runtime.
SAN_OUT ?= build-asan
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
SAN_ENV := ASAN_OPTIONS=$${ASAN_OPTIONS:-allocator_may_return_null=1:verify_asan_link_order=0} \
	   UBSAN_OPTIONS=$${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	   LSAN_OPTIONS=$${LSAN_OPTIONS:-suppressions=$(CURDIR)/tests/tools/lsan.supp}
test-sanitize:
	$(Q)$(MAKE) --no-print-directory OUT=$(SAN_OUT) CFLAGS='$(SAN_CFLAGS)' all tests
	$(Q)mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	$(Q)$(SAN_ENV) $(SAN_OUT)/tests/unit-tests --verbose=0
	$(Q)$(SAN_ENV) $(SAN_OUT)/tests/e2e-tests -j1

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/lab.sh $(OUT)

# The geo rows need the full public databases (docs/geo.md): fetched once
# into bench/geo-db; without a network the bench skips those rows.
bench: all
	$(Q)scripts/fetch-geo-db.sh || echo 'bench: no geo databases: the geo rows will be skipped' >&2
	$(Q)scripts/bench.sh $(OUT)

soak: all
	$(Q)tests/soak/soak.sh $(OUT) 600

tests: $(TEST_BINS)

# Objects and skeletons are targets in their own right, never intermediates
# that make deletes: a second `make` finds everything up to date.
.SECONDARY:

$(OUT)/%.bpf.o: bpf/%.bpf.c Makefile
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.bpf.o: bpf/bench/%.bpf.c Makefile
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ibpf/bench -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Include paths per folder: a program sees the library and its own folder.
$(OUT)/user/lib/%.o: DIR_CFLAGS :=
$(OUT)/user/pktgen/%.o: DIR_CFLAGS := -Iuser/pktgen
$(OUT)/user/daemon/%.o: DIR_CFLAGS := -Iuser/daemon -Iuser/report
$(OUT)/user/report/%.o: DIR_CFLAGS := -Iuser/report
$(OUT)/user/trafgen/%.o: DIR_CFLAGS := -Iuser/trafgen -Iuser/pktgen
$(OUT)/user/bench/%.o: DIR_CFLAGS := -Iuser/bench -Iuser/pktgen -Iuser/daemon
$(OUT)/user/pcap-counter/%.o: DIR_CFLAGS :=
$(OUT)/tests/%.o: DIR_CFLAGS := -Itests -Iuser/daemon -Iuser/pktgen -Iuser/report

# Any object may include a skeleton: generate them all first. VERSION is
# compiled in (DN_VERSION), so a new version rebuilds.
$(OUT)/user/%.o: user/%.c Makefile VERSION | $(SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(COMPILE) $(DIR_CFLAGS) -c $< -o $@

$(OUT)/tests/%.o: tests/%.c Makefile | $(SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(COMPILE) $(DIR_CFLAGS) -c $< -o $@

$(LIBDARKNET): $(call objs,lib)
$(LIBPKTGEN): $(call objs,pktgen)
$(LIBREPORT): $(call objs,report)
$(LIBDARKNET) $(LIBPKTGEN) $(LIBREPORT):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Each program links only the archives and system libraries it uses
# (tests/tools/check-links.sh holds them to it).
link = $(call msg,LINK,$@) $(CC) $(CFLAGS) $(LDFLAGS) $(1) -o $@

# The report is a subcommand of the daemon's binary (README.md, Layout).
$(DAEMON): $(OUT)/user/daemon/main.o $(DAEMON_MODS) $(LIBREPORT) $(LIBDARKNET)
	$(call link,$^ $(DAEMON_LIBS) $(REPORT_LIBS))

$(TRAFGEN): $(call objs,trafgen) $(LIBPKTGEN) $(LIBDARKNET)
	$(call link,$^ $(LIBBPF_LIBS))

# The bench runs the daemon's event sweeper (user/bench/bench_sweep.c):
# its modules, none of which serves HTTP.
BENCH_DAEMON_MODS := $(addprefix $(OUT)/user/daemon/,events.o events_sweep.o events_judge.o \
	events_json.o events_file.o events_metrics.o)
$(BENCH): $(call objs,bench) $(BENCH_DAEMON_MODS) $(LIBPKTGEN) $(LIBDARKNET)
	$(call link,$^ $(LIBXDP_LIBS) $(LIBBPF_LIBS) $(GEO_LIBS) $(PCAP_LIBS) -lm -lpthread)

$(PCAP_COUNTER): $(call objs,pcap-counter)
	$(call link,$^ $(PCAP_LIBS))

TEST_LIBS := $(DAEMON_MODS) $(LIBPKTGEN) $(LIBDARKNET) $(DAEMON_LIBS) -lcriterion
test_objs = $(patsubst tests/%.c,$(OUT)/tests/%.o,$(wildcard tests/$(1)/*.c) $(TEST_SUPPORT))

$(UNIT_TESTS): $(call test_objs,unit) $(DAEMON_MODS) $(LIBREPORT) $(LIBPKTGEN) $(LIBDARKNET)
	$(call link,$(call test_objs,unit) $(LIBREPORT) $(TEST_LIBS) $(REPORT_LIBS))

$(BPF_TESTS): $(call test_objs,bpf) $(DAEMON_MODS) $(LIBPKTGEN) $(LIBDARKNET)
	$(call link,$(call test_objs,bpf) $(TEST_LIBS))

$(E2E_TESTS): $(call test_objs,e2e) $(DAEMON_MODS) $(LIBPKTGEN) $(LIBDARKNET)
	$(call link,$(call test_objs,e2e) $(TEST_LIBS))

$(PNG_STATS): $(OUT)/tests/tools/png_stats.o
	$(call link,$^ -lz)

# An LD_PRELOAD library for the e2e tests (tests/tools/clockshift.c).
$(CLOCKSHIFT): tests/tools/clockshift.c Makefile
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(COMPILE) -fPIC -shared $< -o $@ -ldl

# Another (tests/tools/failmap.c): one BPF map creation fails on demand.
$(FAILMAP): tests/tools/failmap.c Makefile
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(COMPILE) -fPIC -shared $< -o $@ -ldl

FUZZ_SAN := -fsanitize=address,undefined
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Iinclude -Iuser/lib -Iuser/pktgen -Iuser/daemon \
	       -I$(OUT) -DDN_VERSION='"$(VERSION)"' $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB := $(OUT)/fuzz/libfuzzed.a
FUZZ_LIB_SRCS := $(wildcard user/lib/*.c) user/pktgen/frame.c user/daemon/webconfig.c \
		 user/daemon/webconfig_tls.c user/daemon/webconfig_depth.c user/daemon/auth.c \
		 $(wildcard user/daemon/http*.c)
FUZZ_LIB_OBJS := $(patsubst %.c,$(OUT)/fuzz/obj/%.o,$(FUZZ_LIB_SRCS))

$(OUT)/fuzz/obj/%.o: %.c Makefile VERSION | $(SKELS)
	@mkdir -p $(@D)
	$(call msg,FUZZCC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUT)/fuzz/fuzz_%: $(OUT)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@ $(DAEMON_LIBS)

fuzz: $(FUZZERS)
	$(Q)tests/fuzz/run.sh $(OUT) 60

PREFIX ?= /usr/local
install: $(DAEMON)
	install -D -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/darknet-counter
	install -D -m 0644 deploy/research-scanners.txt \
		$(DESTDIR)/etc/darknet-counter/research-scanners.txt

deb: $(DAEMON)
	$(Q)scripts/make-deb.sh $(OUT)

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT) $(SAN_OUT)

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
