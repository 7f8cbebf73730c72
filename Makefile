# Makefile: builds the XDP program, its skeleton, the daemon, the traffic
# generator, tests and benchmarks out of tree in $(OUT). `make help` lists targets.

OUT ?= build
VERSION ?= $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH_INC := /usr/include/$(shell uname -m)-linux-gnu

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS := libbpf libxdp libmicrohttpd zlib yaml-0.1 libcrypt gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lxdp -lmicrohttpd -lz -lyaml -lcrypt -lgnutls)

CFLAGS ?= -O2 -g
# -Wno-format-truncation: messages and paths are cut by snprintf on purpose;
# gcc 12 flags every such call whose inputs it cannot bound.
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	  -Wno-format-truncation \
	  -MMD -MP -Iinclude -Iuser -I$(OUT) $(PKG_CFLAGS) \
	  -DDN_VERSION='"$(VERSION)"'
LDLIBS += $(PKG_LIBS) -lelf -lm -lpthread

# -I$(ARCH_INC): Debian keeps asm/ under the multiarch directory; we build the
# BPF side against UAPI headers (linux/ip.h etc.), not a generated vmlinux.h.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Iinclude -Ibpf -I$(ARCH_INC) -MMD -MP

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

# user/: one module a job. main.c is the daemon's entry point; trafgen*,
# bench* and pcap_counter* are the other programs; everything else is a
# library shared by all programs and by the tests.
PROG_SRCS := user/main.c $(wildcard user/trafgen*.c user/bench*.c user/pcap_counter*.c)
LIB_SRCS := $(filter-out $(PROG_SRCS),$(wildcard user/*.c))
LIB_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS))

DAEMON := $(OUT)/darknet-counter
TRAFGEN := $(OUT)/darknet-trafgen
BENCH := $(OUT)/darknet-bench
PCAP_COUNTER := $(OUT)/darknet-pcap-counter

UNIT_TESTS := $(OUT)/tests/unit-tests
BPF_TESTS := $(OUT)/tests/datapath-tests
E2E_TESTS := $(OUT)/tests/e2e-tests
TEST_SUPPORT := $(wildcard tests/lib/*.c)

.PHONY: all help deps test demo bench clean install

all: $(DAEMON) $(TRAFGEN) $(if $(wildcard user/bench*.c),$(BENCH)) \
	$(if $(wildcard user/pcap_counter*.c),$(PCAP_COUNTER))

help:
	@echo 'Targets:'
	@echo '  all       build the daemon, the traffic generator and the bench (default)'
	@echo '  deps      install build and test dependencies (Debian 12, root)'
	@echo '  test      install deps, build, run every test tier (root)'
	@echo '  demo      install deps, build, run the daemon on the built-in lab (root)'
	@echo '  bench     run the benchmarks and write bench/results-*.txt (root)'
	@echo '  install   install the daemon ($$(PREFIX)/sbin) and the scanner list (/etc/darknet-counter)'
	@echo '  clean     remove $(OUT)'
	@echo 'Variables: V=1 for full commands, OUT=dir for the build directory'

deps:
	$(Q)scripts/install-deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)scripts/run-tests.sh $(OUT)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/lab.sh $(OUT)

bench: all
	$(Q)scripts/bench.sh $(OUT)

.PHONY: tests
tests: $(UNIT_TESTS) $(BPF_TESTS) $(if $(wildcard tests/e2e/*.c),$(E2E_TESTS))

$(OUT) $(OUT)/user $(OUT)/tests:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c Makefile | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Every user object may include any skeleton; generate them all first.
$(OUT)/user/%.o: user/%.c Makefile | $(OUT)/user $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/tests/%.o: tests/%.c Makefile | $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests -c $< -o $@

$(DAEMON): $(OUT)/user/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(TRAFGEN): $(patsubst user/%.c,$(OUT)/user/%.o,$(wildcard user/trafgen*.c)) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BENCH): $(patsubst user/%.c,$(OUT)/user/%.o,$(wildcard user/bench*.c)) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lpcap -o $@

$(PCAP_COUNTER): $(patsubst user/%.c,$(OUT)/user/%.o,$(wildcard user/pcap_counter*.c)) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lpcap -o $@

test_objs = $(patsubst tests/%.c,$(OUT)/tests/%.o,$(wildcard tests/$(1)/*.c) $(TEST_SUPPORT))

$(UNIT_TESTS): $(call test_objs,unit) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

$(BPF_TESTS): $(call test_objs,bpf) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

$(E2E_TESTS): $(call test_objs,e2e) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

PREFIX ?= /usr/local
install: $(DAEMON)
	install -D -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/darknet-counter
	install -D -m 0644 deploy/research-scanners.txt \
		$(DESTDIR)/etc/darknet-counter/research-scanners.txt

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)

-include $(wildcard $(OUT)/*.d $(OUT)/user/*.d $(OUT)/tests/*/*.d)
