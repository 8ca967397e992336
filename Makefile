# Makefile: builds the durpred extension (PGXS) and the durpred-train program,
# and holds the project's entry points: test, demo, bench.
#
#   make            build the extension and the trainer
#   make install    install both into the PostgreSQL found by pg_config
#   make test       install dependencies, build, install, run every test suite
#   make demo       the whole job on generated data in a throwaway cluster
#   make bench      measured performance figures
#   make deps       only install the Debian packages the project needs

EXTENSION = durpred
MODULE_big = durpred
OBJS = \
	src/blocks.o \
	src/booster.o \
	src/cache.o \
	src/category.o \
	src/durpred.o \
	src/evaluator.o \
	src/feature.o \
	src/history.o \
	src/model.o \
	src/modeldoc.o \
	src/pagefeatures.o \
	src/predict.o \
	src/registry.o \
	src/scorer.o \
	src/timing.o \
	src/trigger.o

DATA = $(wildcard sql/durpred--*.sql)

# pg_regress: inputs in test/sql, outputs in ./expected
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test

PG_CONFIG ?= pg_config
# PostgreSQL's headers are read as system headers: -Wextra then warns about
# our code only (GCC drops the -I that PGXS adds for the same directory).
PG_CPPFLAGS = -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CFLAGS = -Wall -Wextra
SHLIB_LINK = -lxgboost -lgomp -lm

# No LLVM bitcode: the JIT cannot inline through XGBoost, and clang is not a
# build dependency.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on every header (PGXS tracks no header dependencies).
$(OBJS): $(wildcard src/*.h)

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

test:
	scripts/test.sh

bench:
	scripts/bench.sh

demo:
	scripts/demo.sh

clean: clean-bench
clean-bench:
	$(MAKE) -C bench PG_CONFIG=$(PG_CONFIG) clean
	rm -rf bench-output demo-output

.PHONY: trainer install-trainer clean-trainer deps test bench clean-bench demo

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
