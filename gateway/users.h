/*
 * users: the credentials store.
 *
 * DATA/credentials, mode 0600, one user per line: "name access_key secret".
 * Written only by replacing the whole file (temp + fsync + rename) under an
 * flock, so `strata user add` may run while the server serves; the server
 * notices the new file (mtime/size/inode) and reloads it, at most once a
 * second. Secrets never leave this module except to sign or verify.
 */
#ifndef STRATA_USERS_H
#define STRATA_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/limits.h"
#include "../common/s3err.h"

#define USER_NAME_MAX 64

struct user {
	char name[USER_NAME_MAX + 1];
	char access_key[STRATA_MAX_ACCESS_KEY_LEN + 1];
	char secret[STRATA_MAX_SECRET_KEY_LEN + 1];
};

struct users; /* a loaded, self-refreshing store */

/* Opens DATA/credentials (an absent file is an empty store). Returns -1 with a message on stderr.
 */
int users_open(const char *data_dir, struct users **out);
void users_close(struct users *u);

/*
 * Finds the user with access_key, reloading the file first if it changed.
 * Fills *out (secret included) and returns true when found.
 */
bool users_lookup(struct users *u, const char *access_key, struct user *out);

/* How many users the store holds. */
size_t users_count(struct users *u);

/* --- editing the file (CLI and first start) --- */

/* true if name is 1..64 of [A-Za-z0-9._-]. */
bool users_name_valid(const char *name);

/*
 * Adds a user; access_key/secret may be NULL to generate them (20 uppercase
 * alphanumerics / 40 base64-ish characters, from RAND_bytes). With replace,
 * an existing user of that name gets the new keys. Fills *out on success.
 * Returns -1 with a message in err (name taken, access key taken, bad value, I/O).
 */
int users_add(const char *data_dir, const char *name, const char *access_key, const char *secret,
	      bool replace, struct user *out, char *err, size_t errlen);

/* Removes a user by name. Returns -1 with a message when absent or on I/O error. */
int users_remove(const char *data_dir, const char *name, char *err, size_t errlen);

/* Calls fn for each user in file order (secrets included; do not print them). */
int users_each(const char *data_dir, void (*fn)(void *ctx, const struct user *u), void *ctx,
	       char *err, size_t errlen);

/* The canonical owner ID shown in XML for a user name: hex SHA-256 of the name into out[65]. */
void users_owner_id(const char *name, char out[65]);

#endif
