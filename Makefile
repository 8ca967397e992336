# Makefile: builds the durpred extension (PGXS) and the durpred-train program,
# and holds the project's entry points: test, demo, bench.
#
#   make            build the extension and the trainer
#   make install    install both into the PostgreSQL found by pg_config
#   make test       install dependencies, build, install, run every test suite
#   make demo       the whole job on generated data in a throwaway cluster
#   make bench      measured performance figures
#   make deps       only install the Debian packages the project needs
#
# Against an installed durpred (make test runs both in throwaway clusters):
#
#   make installcheck        pg_regress and isolation suites on the server the
#                            PG* variables name, TAP suites on clusters of
#                            their own
#   make installcheck-pgtap  the pgTAP suites on that server (needs pgTAP)

EXTENSION = durpred
MODULE_big = durpred
OBJS = \
	src/booster.o \
	src/cache.o \
	src/calls.o \
	src/category.o \
	src/durpred.o \
	src/evaluator.o \
	src/explain.o \
	src/feature.o \
	src/importance.o \
	src/interval.o \
	src/model.o \
	src/modeldoc.o \
	src/predict.o \
	src/registry.o \
	src/scorer.o \
	src/features/append.o \
	src/features/blocks.o \
	src/features/history.o \
	src/features/indexwalk.o \
	src/features/pagefeatures.o \
	src/features/pg_mirror.o \
	src/features/resolved.o \
	src/features/shadow.o \
	src/features/shards.o \
	src/features/summary.o \
	src/features/timing.o \
	src/features/trigger.o

DATA = $(wildcard sql/durpred--*.sql)

# The test suites, declared once for PGXS's installcheck and for make test
# (scripts/test-suites.sh runs installcheck one suite at a time).
# pg_regress: inputs in test/sql, outputs in ./expected
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test
# the isolation tester: specs in test/specs, outputs in the same ./expected;
# PostgreSQL 15's tester reads <outputdir>/expected, hence the outputdir "."
# (instead of PGXS's output_iso); it writes results/ and regression.diffs
# where pg_regress does
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=.
# TAP (prove): test/t/*.pl, run from the top directory, each starting
# clusters of its own; helper modules in test/t (PG_PROVE_FLAGS below)
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))
# pgTAP (pg_prove; not a PGXS suite): make installcheck-pgtap
PGTAP_TESTS = $(sort $(wildcard test/pgtap/*.sql))
PGTAP_TESTDB = contrib_regression_pgtap

PG_CONFIG ?= pg_config
# PostgreSQL's headers are read as system headers: -Wextra then warns about
# our code only (GCC drops the -I that PGXS adds for the same directory).
PG_CPPFLAGS = -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CFLAGS = -Wall -Wextra
# The module exports only what PostgreSQL looks up by name (_PG_init,
# Pg_magic_func, pg_finfo_*, the SQL functions), as PGXS builds modules from
# PostgreSQL 16 on: everything else is hidden, and PGDLLEXPORT, which
# PostgreSQL 15's c.h leaves empty unless it is defined, marks what is
# exported (src/durpred.h).  scripts/check-exports.sh checks durpred.so.
PG_CPPFLAGS += -DPGDLLEXPORT='__attribute__((visibility("default")))'
PG_CFLAGS += -fvisibility=hidden
SHLIB_LINK = -lxgboost -lgomp -lm

# No LLVM bitcode: the JIT cannot inline through XGBoost (clang is installed
# for the fuzzing harness, not for the module's build).
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# after PGXS, which sets PG_PROVE_FLAGS: prove runs in the top directory,
# and finds the TAP suites' helper modules in test/t (PROVE_FLAGS is the
# user's, e.g. PROVE_FLAGS=--verbose)
PG_PROVE_FLAGS += -I test/t

# Every object depends on every header (PGXS tracks no header dependencies).
$(OBJS): $(wildcard src/*.h src/common/*.h src/features/*.h)

# The trainer is a separate client program with its own PGXS makefile
# (PGXS builds one module or one program per makefile); it is built once its
# sources exist.
TRAINER_MAKE = $(if $(wildcard src/trainer/Makefile),$(MAKE) -C src/trainer PG_CONFIG=$(PG_CONFIG),@true)
all: trainer
trainer:
	$(TRAINER_MAKE)
install: install-trainer
install-trainer: trainer
	$(TRAINER_MAKE) install
clean: clean-trainer
clean-trainer:
	$(TRAINER_MAKE) clean

deps:
	scripts/deps.sh

# pgTAP in a fresh database of the server the PG* variables name
installcheck-pgtap:
	'$(bindir)/psql' -X -q -v ON_ERROR_STOP=1 -d postgres -c 'SET client_min_messages = warning' \
		-c 'DROP DATABASE IF EXISTS $(PGTAP_TESTDB)' -c 'CREATE DATABASE $(PGTAP_TESTDB)'
	pg_prove --psql-bin '$(bindir)/psql' --dbname $(PGTAP_TESTDB) $(PGTAP_TESTS)

# packages only through deps; scripts/test.sh builds, installs and runs the
# suites (scripts/test-suites.sh: installcheck, installcheck-pgtap)
test: deps
	MAKE='$(MAKE)' scripts/test.sh

bench:
	scripts/bench.sh

demo:
	scripts/demo.sh

clean: clean-bench
clean-bench:
	$(MAKE) -C bench PG_CONFIG=$(PG_CONFIG) clean
	rm -rf bench-output demo-output

.PHONY: trainer install-trainer clean-trainer deps installcheck-pgtap test bench clean-bench demo

# The pg_regress suites against a server under valgrind memcheck, in a
# private copy of the installed PostgreSQL (installs nothing; 6-12 min on 2 cores).
check-valgrind:
	scripts/check-valgrind.sh
clean: clean-valgrind
clean-valgrind:
	rm -rf valgrind-output

.PHONY: check-valgrind clean-valgrind

# ---------------------------------------------------------------------------
# Fuzzing: a libFuzzer harness (fuzz/fuzz_model.c) of the model reader,
# validator, canonical writer and compiler, built with clang outside the
# server on a thin shim of backend services (fuzz/shim.c).
#
#   make fuzz          build, seed and fuzz for FUZZ_SECONDS (default 300);
#                      prints the executions that ran; an input that crashes
#                      it is written to fuzz/regressions/
#   make fuzz-replay   run the seeds and fuzz/regressions through it once
#
# The seeds (fuzz/seeds.py) need python3-xgboost; fuzz/build/ holds the
# harness, the seeds and the working corpus, which later runs continue.
# ---------------------------------------------------------------------------
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_BUILD = fuzz/build
FUZZ_HARNESS = $(FUZZ_BUILD)/fuzz_model
FUZZ_SRCS = fuzz/fuzz_model.c fuzz/shim.c src/modeldoc.c src/model.c \
	src/evaluator.c src/feature.c
FUZZ_CFLAGS = -g -O2 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -DUSE_ASSERT_CHECKING \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Wall -Wno-ignored-attributes \
	-Isrc -Ifuzz -isystem $(shell $(PG_CONFIG) --includedir-server)
# printing and sorting from libpgport, as the server links them
FUZZ_LIBS = $(firstword $(wildcard $(shell $(PG_CONFIG) --pkglibdir)/libpgport.a \
	$(shell $(PG_CONFIG) --libdir)/libpgport.a)) -lm

$(FUZZ_HARNESS): $(FUZZ_SRCS) $(wildcard src/*.h fuzz/*.h)
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS) $(FUZZ_LIBS)

$(FUZZ_BUILD)/seeds/.done: fuzz/seeds.py test/t/xgb_models.py test/t/corrupt_models.py test/fixtures/tiny_model.sql
	rm -rf $(FUZZ_BUILD)/seeds
	/usr/bin/python3 fuzz/seeds.py $(FUZZ_BUILD)/seeds
	touch $@

fuzz: $(FUZZ_HARNESS) $(FUZZ_BUILD)/seeds/.done
	fuzz/run.sh $(FUZZ_HARNESS) $(FUZZ_SECONDS)

fuzz-replay: $(FUZZ_HARNESS) $(FUZZ_BUILD)/seeds/.done
	fuzz/run.sh $(FUZZ_HARNESS) replay

clean: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_BUILD)

.PHONY: fuzz fuzz-replay clean-fuzz
