/* sse_keys: the master key file at start-up and for `strata keys` (see sse_keys.h). */
#include "sse_keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../common/log.h"
#include "../common/strutil.h"

#define LOG_MOD "keys"
#define USAGE_MAX 128 /* distinct key ids reported; more than a key file can hold */

struct key_use {
	char id[STRATA_SSE_KEY_ID_MAX];
	uint64_t count;
	uint8_t env[STRATA_SSE_ENVELOPE_MAX];
	size_t env_len;
};

struct usage {
	struct key_use rows[USAGE_MAX];
	size_t n;
	bool truncated;
};

static bool collect_use(void *ctx, const char *key_id, uint64_t count, const uint8_t *env,
			size_t len)
{
	struct usage *u = ctx;
	struct key_use *row;

	if (u->n == USAGE_MAX || len > sizeof(row->env)) {
		u->truncated = true;
		return false;
	}
	row = &u->rows[u->n++];
	str_copy(row->id, sizeof(row->id), key_id);
	row->count = count;
	memcpy(row->env, env, len);
	row->env_len = len;
	return true;
}

/* Fills *u with the key ids envelopes use. Returns 0 or -1 (logged). */
static int load_usage(struct backend *be, struct usage *u)
{
	s3err_t err;

	memset(u, 0, sizeof(*u));
	err = backend_sse_key_usage(be, collect_use, u);
	if (err != S3E_OK || u->truncated) {
		log_error(LOG_MOD, "cannot list the master keys in use (%s)",
			  err ? s3err_code(err) : "too many key ids");
		return -1;
	}
	return 0;
}

int sse_keys_path(const struct config *cfg, char *out, size_t cap)
{
	int n = cfg->key_file[0] ? snprintf(out, cap, "%s", cfg->key_file)
				 : snprintf(out, cap, "%s/keys", cfg->data_dir);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int sse_keys_open(const struct config *cfg, struct keyring **out, bool *created)
{
	char path[STRATA_MAX_PATH], why[256];
	struct stat st;

	*created = false;
	if (sse_keys_path(cfg, path, sizeof(path)) != 0) {
		log_error(LOG_MOD, "key file path too long");
		return -1;
	}
	if (stat(path, &st) != 0 && errno == ENOENT) {
		if (cfg->key_file[0]) {
			log_error(LOG_MOD,
				  "the key file %s (config key_file) does not exist; restore it "
				  "from your backup, or remove key_file to use a new DATA/keys",
				  path);
			return -1;
		}
		/* The data directory may not exist yet: the backend would create it next. */
		if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
			log_error(LOG_MOD, "cannot create %s: %s", cfg->data_dir, strerror(errno));
			return -1;
		}
		if (keyring_create(path, why, sizeof(why)) != S3E_OK) {
			log_error(LOG_MOD, "cannot create the key file %s: %s", path, why);
			return -1;
		}
		*created = true;
		log_info(LOG_MOD,
			 "created the master key file %s: back it up apart from the data, which "
			 "cannot be read without it",
			 path);
	}
	if (keyring_load(path, out, why, sizeof(why)) != S3E_OK) {
		log_error(LOG_MOD, "cannot use the key file %s: %s", path, why);
		return -1;
	}
	return 0;
}

int sse_keys_check(struct backend *be, const struct keyring *k, const char *path)
{
	uint8_t dk[KEYRING_KEY_SIZE];
	struct usage u;
	size_t i;
	int rc = 0;

	if (load_usage(be, &u) != 0)
		return -1;
	for (i = 0; i < u.n; i++) {
		const struct key_use *row = &u.rows[i];

		if (!keyring_has(k, row->id)) {
			log_error(
			    LOG_MOD,
			    "%llu encrypted objects or uploads use master key '%s', which the "
			    "key file %s does not hold: restore the key file that has it",
			    (unsigned long long)row->count, row->id, path);
			rc = -1;
		} else if (keyring_unwrap(k, row->id, row->env, row->env_len, dk) != S3E_OK) {
			log_error(
			    LOG_MOD,
			    "master key '%s' in %s does not unwrap the data keys stored under "
			    "it: the key file holds a different key of that name",
			    row->id, path);
			rc = -1;
		}
	}
	OPENSSL_cleanse(dk, sizeof(dk));
	return rc;
}

int sse_keys_list(struct backend *be, const struct keyring *k)
{
	const char *cur = keyring_current_id(k), *id;
	struct usage u;
	size_t i, j;

	if (load_usage(be, &u) != 0)
		return 1;
	printf("%-32s %-8s %s\n", "KEY ID", "CURRENT", "ENVELOPES");
	for (i = 0; (id = keyring_id_at(k, i)) != NULL; i++) {
		uint64_t n = 0;

		for (j = 0; j < u.n; j++)
			if (strcmp(u.rows[j].id, id) == 0)
				n = u.rows[j].count;
		printf("%-32s %-8s %llu\n", id, strcmp(id, cur) == 0 ? "yes" : "",
		       (unsigned long long)n);
	}
	for (j = 0; j < u.n; j++)
		if (!keyring_has(k, u.rows[j].id))
			printf("%-32s %-8s %llu  (MISSING from the key file)\n", u.rows[j].id, "",
			       (unsigned long long)u.rows[j].count);
	return 0;
}

/* The rewrap callback: unwrap under the old key, wrap under the current one. */
static s3err_t rewrap_one(void *ctx, const char *key_id, const uint8_t *env, size_t len,
			  char new_id[STRATA_SSE_KEY_ID_MAX],
			  uint8_t new_env[STRATA_SSE_ENVELOPE_MAX], size_t *new_len)
{
	const struct keyring *k = ctx;
	uint8_t dk[KEYRING_KEY_SIZE];
	s3err_t err;

	err = keyring_unwrap(k, key_id, env, len, dk);
	if (err == S3E_OK) {
		str_copy(new_id, STRATA_SSE_KEY_ID_MAX, keyring_current_id(k));
		err = keyring_wrap_with(k, new_id, dk, new_env);
	}
	OPENSSL_cleanse(dk, sizeof(dk));
	if (err != S3E_OK) {
		log_error(LOG_MOD, "cannot rewrap a data key stored under '%s'", key_id);
		return err;
	}
	*new_len = KEYRING_WRAPPED_SIZE;
	return S3E_OK;
}

int sse_keys_rotate(struct backend *be, const char *path)
{
	char why[256], id[KEYRING_ID_MAX];
	struct keyring *k = NULL;
	uint64_t done = 0;
	struct usage u;
	bool pending = false;
	size_t i;
	int rc = 1;

	if (keyring_load(path, &k, why, sizeof(why)) != S3E_OK) {
		fprintf(stderr, "strata keys rotate: %s\n", why);
		goto out;
	}
	if (sse_keys_check(be, k, path) != 0 || load_usage(be, &u) != 0)
		goto out;
	for (i = 0; i < u.n; i++)
		if (strcmp(u.rows[i].id, keyring_current_id(k)) != 0)
			pending = true;
	if (pending) {
		printf("resuming an unfinished rotation to key %s\n", keyring_current_id(k));
	} else {
		if (keyring_add_key(path, id, why, sizeof(why)) != S3E_OK) {
			fprintf(stderr, "strata keys rotate: %s\n", why);
			goto out;
		}
		keyring_free(k);
		k = NULL;
		if (keyring_load(path, &k, why, sizeof(why)) != S3E_OK) {
			fprintf(stderr, "strata keys rotate: %s\n", why);
			goto out;
		}
		printf("added master key %s (now current)\n", id);
	}
	if (backend_sse_rewrap(be, keyring_current_id(k), rewrap_one, k, &done) != S3E_OK) {
		fprintf(stderr,
			"strata keys rotate: stopped after rewrapping %llu data keys; run it "
			"again to finish\n",
			(unsigned long long)done);
		goto out;
	}
	printf("rewrapped %llu data keys under %s; older keys can now be retired with "
	       "`strata keys retire ID`\n",
	       (unsigned long long)done, keyring_current_id(k));
	rc = 0;
out:
	keyring_free(k);
	return rc;
}

int sse_keys_retire(struct backend *be, const char *path, const char *id)
{
	struct keyring *k = NULL;
	struct usage u;
	char why[256];
	size_t i;
	int rc = 1;

	if (keyring_load(path, &k, why, sizeof(why)) != S3E_OK) {
		fprintf(stderr, "strata keys retire: %s\n", why);
		goto out;
	}
	if (load_usage(be, &u) != 0)
		goto out;
	for (i = 0; i < u.n; i++)
		if (strcmp(u.rows[i].id, id) == 0 && u.rows[i].count > 0) {
			fprintf(
			    stderr,
			    "strata keys retire: %llu data keys are still wrapped under %s; run "
			    "`strata keys rotate` first\n",
			    (unsigned long long)u.rows[i].count, id);
			goto out;
		}
	if (keyring_remove_key(path, id, why, sizeof(why)) != S3E_OK) {
		fprintf(stderr, "strata keys retire: %s\n", why);
		goto out;
	}
	printf("retired master key %s\n", id);
	rc = 0;
out:
	keyring_free(k);
	return rc;
}
