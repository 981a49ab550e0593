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
# name order; each update script migrate--A--B.sql from the parts in
# sql/update/A--B/, the same way.
UPDATES    = $(notdir $(wildcard sql/update/*--*))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql \
             $(foreach u,$(UPDATES),sql/$(EXTENSION)--$(u).sql)

# pg_regress inputs are test/regress/sql/<name>.sql, expected outputs
# test/regress/expected/<name>.out (as pgvector keeps them under test/)
REGRESS      = $(sort $(basename $(notdir $(wildcard test/regress/sql/*.sql))))
REGRESS_OPTS = --inputdir=test/regress --load-extension=$(EXTENSION)

PG_CPPFLAGS = -Icommon
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
            -Wno-missing-field-initializers -Wno-cast-function-type
# The library's version, from migrate.control and nowhere else: the library
# checks it against the catalog's (src/version.c), the client against the
# extension it talks to.
PG_CPPFLAGS += -DMIGRATE_VERSION='"$(EXTVERSION)"'

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every file sees the graph and catalog structs: a changed header rebuilds all
$(OBJS): $(wildcard src/*.h) $(wildcard common/*.h)
src/version.o: $(EXTENSION).control

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/ext/*.sql))
	cat $^ > $@

# sql/migrate--A--B.sql from sql/update/A--B/*.sql
.SECONDEXPANSION:
sql/$(EXTENSION)--%.sql: $$(sort $$(wildcard sql/update/%/*.sql))
	cat $^ > $@

# --- pg_migrate, the command-line client (client/, its own PGXS Makefile):
# --- built, installed, uninstalled and cleaned with the extension.
BIN_LINK_DIR ?= /usr/local/bin
all: client-all
install: client-install
uninstall: client-uninstall
clean: client-clean
.PHONY: client-all client-install client-uninstall client-clean
client-all:
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)"
client-install: client-all
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)" install
	@# pg_config --bindir is not on PATH on Debian: link the client into
	@# BIN_LINK_DIR (default /usr/local/bin; empty: no link) when it exists
	if [ -n "$(BIN_LINK_DIR)" ] && [ -d "$(DESTDIR)$(BIN_LINK_DIR)" ]; then \
		ln -sf "$(bindir)/pg_migrate" "$(DESTDIR)$(BIN_LINK_DIR)/pg_migrate"; fi
client-uninstall:
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)" uninstall
	if [ -n "$(BIN_LINK_DIR)" ] && [ "$$(readlink "$(DESTDIR)$(BIN_LINK_DIR)/pg_migrate")" = "$(bindir)/pg_migrate" ]; then \
		rm -f "$(DESTDIR)$(BIN_LINK_DIR)/pg_migrate"; fi
client-clean:
	$(MAKE) -C client PG_CONFIG="$(PG_CONFIG)" clean
# --- end of pg_migrate
