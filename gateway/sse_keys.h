/*
 * sse_keys: the master key file as the server and `strata keys` use it.
 *
 * Start-up (sse_keys_open + sse_keys_check): the key file is config
 * key_file, or DATA/keys. A missing default file is created with one fresh
 * key; a missing configured one is an error. Then every master key id that
 * stored envelopes name must be in the file and must unwrap one of them:
 * otherwise the server refuses to start, saying which key is missing or
 * wrong, rather than answer 500 on every encrypted GET (or, worse, on none
 * until someone needs the data).
 *
 * Rotation (sse_keys_rotate): adds a new current key, then rewraps every
 * data key under it; data files are not rewritten. The rewrap commits in
 * batches, so a rotation interrupted by a crash is finished by running it
 * again: a rotation that finds envelopes under a key other than the
 * current one completes that instead of adding another key.
 */
#ifndef STRATA_SSE_KEYS_H
#define STRATA_SSE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "../backends/backend.h"
#include "../common/config.h"
#include "../common/keyring.h"

/* Writes the key file path cfg names (key_file, or DATA/keys) into out[cap]; -1 if too long. */
int sse_keys_path(const struct config *cfg, char *out, size_t cap);

/*
 * Loads the key file, creating the default one if missing (*created then
 * true: a caller whose sse_keys_check fails removes it again, so that a
 * lost key file is not silently replaced by a new key). Logs why on error.
 * Returns 0 or -1.
 */
int sse_keys_open(const struct config *cfg, struct keyring **out, bool *created);

/* Checks the keys against what the backend stores (see above). Logs why; returns 0 or -1. */
int sse_keys_check(struct backend *be, const struct keyring *k, const char *path);

/* --- the `strata keys` subcommands (print to stdout/stderr, return an exit code) --- */

/* Lists key ids, the current one, and how many envelopes each wraps. */
int sse_keys_list(struct backend *be, const struct keyring *k);
/* Rotates (or resumes a rotation) as described above. */
int sse_keys_rotate(struct backend *be, const char *path);
/* Removes key id from the file if no envelope uses it and it is not the current one. */
int sse_keys_retire(struct backend *be, const char *path, const char *id);

#endif
