# migrate: PGXS build.  `make && make install`, then `make installcheck`
# against a running server (scripts/test does all of it in a throwaway
# cluster).
EXTENSION  = migrate
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = migrate
# src/ is the extension's own; common/ is shared with the client (built
# there again with -DFRONTEND), as PostgreSQL's src/common is
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c) $(wildcard common/*.c)))
# The install script is built from sql/ext/*.sql, one file per concern, in
# name order; versioned upgrade scripts (migrate--A--B.sql) are hand-written.
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*--*.sql))

# pg_regress inputs are sql/<name>.sql (not the extension scripts), outputs
# expected/<name>.out
REGRESS      = $(sort $(filter-out $(EXTENSION)--%,$(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --load-extension=$(EXTENSION)

PG_CPPFLAGS = -Icommon
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
            -Wno-missing-field-initializers -Wno-cast-function-type

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every file sees the graph and catalog structs: a changed header rebuilds all
$(OBJS): $(wildcard src/*.h) $(wildcard common/*.h)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/ext/*.sql))
	cat $^ > $@

# --- pg_migrate, the command-line client (client/, its own PGXS Makefile):
# --- built, installed, uninstalled and cleaned with the extension.
all: client-all
install: client-install
uninstall: client-uninstall
clean: client-clean
.PHONY: client-all client-install client-uninstall client-clean
client-all:
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)"
client-install: client-all
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)" install
client-uninstall:
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)" uninstall
client-clean:
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)" clean
# --- end of pg_migrate
