/* Test helper: writes small configuration files into the build folder. */
#ifndef DRL_TESTS_CONFIG_FIXTURE_H
#define DRL_TESTS_CONFIG_FIXTURE_H

/* Writes `text` to $DRL_BINARY_DIR/config_fixtures/<dir>/<file> (creating the
 * folders) and returns that path (malloc'ed). */
char *fixture_write(const char *dir, const char *file, const char *text);

/* $DRL_SOURCE_DIR/<relative> (malloc'ed). */
char *fixture_source_path(const char *relative);

#endif
