/*
 * posix_internal: what the files of the posix backend share.
 *
 * Not an interface: only the backends/posix*.c files include this.
 * posix.c owns buckets and single-PUT objects (layout 0) and their
 * commit order; posix_schema.c the index's statements, schema and
 * migrations; posix_tx.c its transactions and connection pool;
 * posix_gc.c the gc queue; posix_data.c data-file I/O; posix_open.c
 * opening, closing and the locations of storage tiers; posix_tiers.c owns
 * writer placement and transitions between tiers, posix_restore.c archive
 * restores, posix_repl.c the replication queue (Q1..Q8), posix_versions.c
 * object versions (V1..V9), posix_batch.c the group commit of object
 * commits (W4); posix_multipart.c
 * owns uploads, parts, the completion of an upload into a multipart object
 * (layout 1) and the
 * readers of such objects; posix_scrub.c re-verifies stored data. The
 * integrity framing of data files (common/frames.h) is written and read
 * by posix_data.c for both: the frame helpers below are what a reader or the
 * scrubber needs. Sealed (encrypted) data files use the same helpers with a
 * per-file cipher (F5..F8). The on-disk layout is in posix.h; the
 * invariants are numbered at the top of posix.c (P1.., F1..F8),
 * posix_tiers.c (T1..T7), posix_restore.c (R1..R7) and posix_multipart.c
 * (M1..). Data files live in locations (struct posix_loc): the data
 * directory itself (the home) and one directory per configured storage
 * tier; a file is named by (tier, id), never by id alone. The restored copy of an archived file
 * (R2) is the same id in the home.
 */
#ifndef STRATA_POSIX_INTERNAL_H
#define STRATA_POSIX_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "../common/config.h"
#include "../common/frames.h"
#include "backend.h"
#include "posix.h"
#include "posix_bcache.h"
#include "posix_ocache.h"

#define POSIX_LOG_MOD "posix"
#define POSIX_POOL_SIZE 8		  /* index connections; WAL lets readers run in parallel */
#define POSIX_BUSY_TIMEOUT_MS 10000	  /* wait this long for the write lock, then SlowDown */
#define POSIX_GC_LATER 64		  /* gc releases waiting for another writer's commit (W2) */
#define POSIX_BATCH_MAX 32		  /* object commits in one group commit (W4) */
#define POSIX_NCONN (POSIX_POOL_SIZE + 1) /* the pool and the group commit's own (W4) */
#define POSIX_WRITEBACK_STEP (8u << 20)	  /* stored bytes between writeback starts (W3) */
#define POSIX_ID_HEX 32u		  /* a 128-bit object or upload id in lowercase hex */
#define POSIX_REL_LEN (3u + POSIX_ID_HEX) /* "xx/" + id, relative to objects/ */
#define POSIX_OPEN_RETRIES 4 /* reader_open re-reads a row whose file was just replaced */
#define POSIX_TIER_MAX STRATA_STORAGE_CLASS_MAX /* a tier's name (its class) and NUL */
#define POSIX_NLOC (1u + POSIX_MAX_TIERS)	/* the home and every tier */

/* --- the index: statements and connections --- */

/*
 * Every statement the backend runs, prepared once per connection. Those
 * before ST_MP_FIRST have their SQL in posix_schema.c, those up to ST_RP_FIRST in
 * posix_multipart.c (posix_mp_stmt_sql), those up to ST_VR_FIRST in
 * posix_repl.c (posix_rp_stmt_sql), the rest in posix_versions.c
 * (posix_vr_stmt_sql), next to the code that runs them.
 */
enum stmt {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT, /* W4: one member's part of a group commit */
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_BUCKET_INSERT,
	ST_BUCKET_GET,
	ST_BUCKET_EXISTS,
	ST_BUCKET_DELETE,
	ST_BUCKET_LIST,
	ST_BUCKET_COUNT,
	ST_OBJ_ID,
	ST_OBJ_UPSERT,
	ST_OBJ_HEAD,
	ST_OBJ_DELETE,
	ST_OBJ_SAME,
	ST_OBJ_PARTS_GC,
	ST_OBJ_PARTS_DELETE,
	ST_SCAN_GT,
	ST_SCAN_GE,
	ST_SCAN_GT_LT,
	ST_SCAN_GE_LT,
	ST_GC_ADD,
	ST_GC_DEL,
	ST_GC_PENDING,
	ST_GC_BATCH,
	ST_FILE_NAMED,
	ST_TR_OBJ,
	ST_TR_OPART,
	ST_BCFG_GET,
	ST_BCFG_PUT,
	ST_BCFG_DELETE,
	ST_BCFG_PURGE,
	ST_SSE_OBJ_BATCH,
	ST_SSE_OBJ_UPDATE,
	ST_SSE_UPL_BATCH,
	ST_SSE_UPL_UPDATE,
	ST_SSE_USAGE,
	ST_RS_SET,
	ST_RS_DONE,
	ST_RS_OPART_GC,
	ST_RS_DUE,
	ST_INLINE_PUT,
	ST_INLINE_GET,
	ST_INLINE_DROP,
	ST_MP_FIRST, /* multipart statements from here on */
	ST_UPL_INSERT = ST_MP_FIRST,
	ST_UPL_GET,
	ST_UPL_STATE,
	ST_UPL_COMPLETE,
	ST_UPL_DELETE,
	ST_UPL_PRUNE,
	ST_UPL_LIST_GT_KEY,
	ST_UPL_LIST_GT_KEY_LT,
	ST_UPL_LIST_GT_PAIR,
	ST_UPL_LIST_GT_PAIR_LT,
	ST_UPL_BUCKET_PARTS_GC,
	ST_UPL_BUCKET_PARTS_DELETE,
	ST_UPL_BUCKET_DELETE,
	ST_PART_GET,
	ST_PART_UPSERT,
	ST_PART_LIST,
	ST_PART_DELETE_ONE,
	ST_PARTS_GC,
	ST_PARTS_DELETE,
	ST_OPART_INSERT,
	ST_OPART_LOAD,
	ST_OPART_RANGE,
	ST_OPART_OBJ,
	ST_RP_FIRST, /* replication statements from here on */
	ST_RP_INSERT = ST_RP_FIRST,
	ST_RP_GET,
	ST_RP_DELETE,
	ST_RP_LEFT,
	ST_RP_COMPLETED,
	ST_RP_RETRY,
	ST_RP_FAILED,
	ST_RP_DUE,
	ST_RP_STATS_ALL,
	ST_RP_STATS_BUCKET,
	ST_RP_OBJ,
	ST_VR_FIRST, /* versioning statements from here on (posix_versions.c) */
	ST_VR_STATE = ST_VR_FIRST,
	ST_VR_CUR,
	ST_VR_NEXT_SEQ,
	ST_VR_STASH_OBJ,
	ST_VR_STASH_PARTS,
	ST_VR_INSERT,
	ST_VR_FIND,
	ST_VR_DELETE_ROW,
	ST_VR_NEWEST,
	ST_VR_PROMOTE_OBJ,
	ST_VR_PROMOTE_PARTS,
	ST_VR_SET_ID,
	ST_VR_ANY,
	ST_VR_SCAN,
	ST_VR_RENAME,
	ST_LK_FIRST, /* object lock statements from here on (posix_lock.c) */
	ST_LK_CFG = ST_LK_FIRST,
	ST_LK_GET,
	ST_LK_SET,
	ST_LK_CFG_PUT,
	ST__COUNT
};

/* SQL of ST_MP_FIRST .. ST_RP_FIRST - 1, indexed by (stmt - ST_MP_FIRST). */
extern const char *const posix_mp_stmt_sql[ST_RP_FIRST - ST_MP_FIRST];
/* SQL of ST_RP_FIRST .. ST_VR_FIRST - 1, indexed by (stmt - ST_RP_FIRST) (posix_repl.c). */
extern const char *const posix_rp_stmt_sql[ST_VR_FIRST - ST_RP_FIRST];
/* SQL of ST_VR_FIRST .. ST_LK_FIRST - 1, indexed by (stmt - ST_VR_FIRST) (posix_versions.c). */
extern const char *const posix_vr_stmt_sql[ST_LK_FIRST - ST_VR_FIRST];
/* SQL of ST_LK_FIRST .. ST__COUNT - 1, indexed by (stmt - ST_LK_FIRST) (posix_lock.c). */
extern const char *const posix_lk_stmt_sql[ST__COUNT - ST_LK_FIRST];

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	struct conn *next;   /* free list link while checked in */
	struct posix_be *pb; /* the backend: its writer queue (W1 in posix.c) */
	bool writing;	     /* this connection holds pb->write_mu */
};

/* A writer waiting for the group commit that holds its rows (W4). */
struct posix_batch_member {
	struct posix_batch_member *next;
	bool done; /* the group commit ended (under batch.mu) */
	s3err_t err;
};

/*
 * The group commit (W4 in posix_batch.c). `open`, `n` and `members` change
 * only under write_mu; a member's done and err under mu.
 */
struct posix_batch {
	bool open;			    /* the batch connection has a transaction open */
	unsigned n;			    /* members whose rows it holds */
	struct posix_batch_member *members; /* those members, waiting for its end */
	atomic_uint wanted;		    /* threads waiting for write_mu (W1) */
	uint64_t commits, committed;	    /* group COMMITs that succeeded, members in them */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/*
 * One place where data files live (T1): loc[0] is the home (the data
 * directory, tier ""), the others are the configured tiers, each named by
 * the storage class it holds. Every location has objects/xx/ID and tmp/ID
 * and is locked (LOCK) by this process while open.
 */
struct posix_loc {
	char tier[POSIX_TIER_MAX]; /* "" for the home; else its storage class */
	char *dir;		   /* its root, for messages (owned); a remote's s3:// URL */
	int rootfd, objfd, tmpfd, lockfd;
	/*
	 * A tier in a remote bucket (X1 in posix_remote.c), or NULL: a local
	 * directory. A remote location has no rootfd, objfd or lockfd (-1); its
	 * tmpfd is a dup of the home's tmp/, where its temporaries live (X2).
	 */
	struct posix_remote *remote;
};

struct posix_be {
	struct backend base;		  /* first: the wrappers find ops here */
	char *dir;			  /* the data directory, for messages */
	struct posix_loc loc[POSIX_NLOC]; /* loc[0]: the home; then the tiers (T1) */
	size_t nloc;
	pthread_mutex_t mu; /* guards `free` only; never held across I/O */
	pthread_cond_t cv;
	bool sync_ready;	  /* mu, cv, write_mu and bcache initialised */
	pthread_mutex_t write_mu; /* W1: one write transaction at a time, in turn */
	pthread_mutex_t later_mu; /* guards writer_in and gc_later; never held across I/O */
	bool writer_in;		  /* a write transaction holds write_mu */
	size_t n_later;		  /* W2: gc releases left to the writer in */
	struct {
		char tier[POSIX_TIER_MAX];
		char id[POSIX_ID_HEX + 1];
	} gc_later[POSIX_GC_LATER];
	struct posix_bcache bcache; /* bucket rows (B1, B2 in posix_bcache.h) */
	struct posix_batch batch;   /* W4: the group commit of object commits (posix_batch.c) */
	struct conn *free;
	struct conn conns[POSIX_NCONN]; /* the pool, then the group commit's (W4) */
	struct posix_opts opts;
	struct s3c *client;	     /* the connection of every remote tier (X1), or NULL (owned) */
	atomic_bool reserve_out;     /* P8: index.reserve was given up (or never filled) */
	struct posix_ocache *ocache; /* current object rows (O1, O2 in posix_ocache.h; owned) */
};

/* --- writers and readers (one struct for objects and parts) --- */

enum writer_kind {
	W_OBJECT, /* writer_open: finished by writer_commit */
	W_PART,	  /* part_writer_open: finished by part_commit */
};

struct be_writer {
	struct posix_be *pb;
	const struct posix_loc *loc; /* where its tmp/ID is and its file goes (T3) */
	enum writer_kind kind;
	int fd; /* loc's tmp/ID, -1 once closed (or while inl: not created yet) */
	/*
	 * I1 (posix_inline.c): a W_OBJECT writer at home keeps its stored bytes
	 * in mem while they fit POSIX_INLINE_STORED_MAX; the first byte beyond
	 * (or a move to a tier, I4) creates tmp/ID and writes them there.
	 */
	bool inl;
	uint8_t *mem;	  /* inl: the stored bytes so far (allocated on the first), else NULL */
	size_t mem_len;	  /* bytes in mem */
	bool failed;	  /* a write failed: the data can only be aborted */
	uint64_t written; /* plaintext bytes accepted */
	uint64_t emitted; /* stored bytes written to fd */
	uint64_t flushed; /* stored bytes whose writeback was started (W3) */
	struct frames_encoder *enc; /* frames what is written into fd (F1); NULL once finished */
	bool plain;		    /* posix_opts.plain_writes: no encoder, bytes go to fd as is */
	bool sealed; /* writer_seal ran: enc seals under the file's key (F5); never plain */
	unsigned part_number;		  /* W_PART */
	char upload_id[POSIX_ID_HEX + 1]; /* W_PART */
	char id[POSIX_ID_HEX + 1];	  /* the data file's object id */
	/* W_OBJECT: writer_replicate's copy (owned), queued by its commit (Q1); NULL: none */
	struct repl_request *repl;
	/* W_OBJECT: writer_version's buffer, where the commit writes its version id; or NULL */
	char *version_out;
	char bucket[STRATA_BUCKET_NAME_MAX + 1];
	char key[]; /* W_OBJECT; "" for W_PART */
};

struct mp_map; /* a multipart object's part table and fd cache (posix_multipart.c) */

/* --- integrity frames of data files (invariants F1..F4 at the top of posix.c) --- */

/* Stored bytes of one whole frame and its tag: frame i starts at i * POSIX_FRAME_STRIDE. */
#define POSIX_FRAME_STRIDE ((uint64_t)FRAME_DATA_SIZE + FRAME_TAG_SIZE)

/*
 * An open data file, read with pread semantics whatever its location:
 * a local file descriptor, or a remote object read through ranged GETs
 * (posix_remote.c). Closed: fd -1 and rf NULL.
 */
struct posix_rfile;
struct posix_fh {
	int fd;			/* local: the file, else -1 */
	struct posix_rfile *rf; /* remote: the object and its stream, else NULL */
	uint8_t *mem;		/* inline (I2): its stored bytes (owned), else NULL */
	size_t mem_len;
};

/* A closed handle. */
#define POSIX_FH_NONE ((struct posix_fh){-1, NULL, NULL, 0})

/* One open data file, as a reader sees it. */
struct posix_dfile {
	struct posix_fh fh;
	bool framed;			/* frames = 1 in its row; false: a plain legacy file */
	bool sealed;			/* its owner row's sse_mode is not SSE_NONE (F5) */
	uint64_t size;			/* plaintext bytes */
	uint8_t id[FRAME_FILE_ID_SIZE]; /* the file id bound into its tags (the raw object id) */
	/* sealed: the cipher under this file's key, made on its first read (F7); else NULL */
	struct frames_cipher *cipher;
};

/*
 * The one verified frame a reader keeps (a 64 KiB buffer allocated on
 * first use), so that sequential reads cost one pread and one verification
 * per frame. Only bytes of a frame that passed frames_verify (plain) or
 * frames_open (sealed: then decrypted) are ever in buf with valid set. It
 * also holds the data key reader_unseal gave, from which each sealed
 * file's key is derived (F7); cleansed by posix_frame_cache_free.
 */
struct posix_frame_cache {
	uint8_t *buf; /* POSIX_FRAME_STRIDE bytes, or NULL */
	size_t dirty; /* bytes at the start of buf ever written: what the free cleanses */
	bool valid;   /* buf holds frame `index` of file `id`, verified */
	uint8_t id[FRAME_FILE_ID_SIZE];
	uint64_t index;
	size_t len;		  /* plaintext bytes of the cached frame */
	const char *bucket, *key; /* for messages: the reader's copies */
	bool keyed;		  /* data_key holds reader_unseal's key */
	uint8_t data_key[FRAMES_KEY_SIZE];
};

struct be_reader {
	uint64_t size;		     /* bytes of the version being read */
	struct posix_dfile file;     /* layout 0 and upload parts; file.fd -1 for layout 1 */
	struct mp_map *map;	     /* layout 1: its parts; NULL otherwise */
	struct posix_frame_cache fc; /* the last verified frame */
	char *bucket, *key;	     /* owned; for messages */
};

/* Where a writer's data file is, so that a failure removes it from the right place. */
enum data_where {
	IN_TMP,	    /* tmp/ID (or already gone) */
	IN_OBJECTS, /* objects/xx/ID, no committed row names it: remove on failure */
	PUBLISHED,  /* a row names it (or may, after a failed COMMIT): keep */
};

/* What a transaction that replaced or deleted an object row queued in gc. */
struct retired {
	char id[POSIX_ID_HEX + 1]; /* layout 0: its one data file; "" when none */
	char tier[POSIX_TIER_MAX]; /* layout 0: where that file is (T2) */
	bool parts;		   /* layout 1: its part files (many): drain gc after commit */
	bool copy; /* layout 0: its restored copy ("", id) as well (R6 in posix_restore.c) */
};

/*
 * One data file to read back whole (the scrubber, a transition's copy):
 * where it is and how it was written.
 */
struct posix_file {
	char id[POSIX_ID_HEX + 1];
	const struct posix_loc *loc; /* its location (T1) */
	bool in_tmp;		     /* loc's tmp/ID (a copy not yet placed), else objects/xx/ID */
	uint64_t size;		     /* plaintext bytes */
	bool framed;		     /* F2 */
	bool sealed;		     /* F5: its owner row's sse_mode is not SSE_NONE */
};

/* --- index helpers (posix_tx.c) --- */

/* Logs an index failure and maps it: a lock wait that timed out is S3E_SlowDown,
 * a full disk (SQLITE_FULL) S3E_XMinioStorageFull. */
s3err_t posix_db_err(struct conn *c, int rc, const char *what);

/* The error for a failed write, create, rename or fsync in a data directory
 * (errno e): S3E_XMinioStorageFull for ENOSPC/EDQUOT, else S3E_InternalError.
 * The caller logs. */
s3err_t posix_io_err(int e);

/* Whether a COMMIT that failed with err may still be replayed from the WAL (so
 * the data file it names must be kept): any failure but a full disk. */
bool posix_commit_unsure(s3err_t err);

/* Decodes result row n into the caller's array; false when the row is malformed. */
typedef bool (*posix_row_fn)(sqlite3_stmt *st, size_t n, void *rows);

/*
 * Steps st, whose parameters the caller bound (bind_rc: the result of the
 * last bind), handing each row to decode, at most cap rows. A row past cap or
 * one decode refuses is S3E_InternalError, logged as "index <what> returned a
 * malformed row"; an SQLite error goes through posix_db_err. The caller still
 * resets or finalizes st. Sets *got on success.
 */
s3err_t posix_fetch_rows(struct conn *c, sqlite3_stmt *st, int bind_rc, size_t cap,
			 const char *what, posix_row_fn decode, void *rows, size_t *got);
/* Readies a statement for its next use (reset + clear bindings). */
void posix_stmt_done(sqlite3_stmt *st);
/* Binds a NUL-terminated string (copied by SQLite). */
int posix_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Runs a statement that returns no rows; SQLITE_OK on success; always readies it again. */
int posix_run(sqlite3_stmt *st);
/*
 * Binds the strings a and b to parameters 1 and 2 (a bucket and a key, most
 * often) and steps st once: SQLITE_ROW, SQLITE_DONE or the error. The caller
 * reads the row and readies st (posix_stmt_done).
 */
int posix_step_texts2(sqlite3_stmt *st, const char *a, const char *b);
/* Runs a statement whose parameters 1..n are the strings a[0..n-1]. */
int posix_run_texts(sqlite3_stmt *st, const char *const *a, int n);
/*
 * Whether statement `which`, a "SELECT 1 ... WHERE ?1 ... ?2" lookup, finds a
 * row for (a, b), into *found; an SQLite error is logged as `what`.
 */
s3err_t posix_row_exists(struct conn *c, enum stmt which, const char *a, const char *b,
			 const char *what, bool *found);
/* BEGIN IMMEDIATE (the write lock) / BEGIN (a read snapshot) / COMMIT. */
s3err_t posix_tx_begin(struct conn *c);
s3err_t posix_tx_begin_read(struct conn *c);
s3err_t posix_tx_commit(struct conn *c);
/* Rolls back the open transaction, if any (no-op in autocommit). */
void posix_tx_rollback(struct conn *c);
/*
 * W1 without a transaction, for the group commit (posix_batch.c): takes
 * write_mu in turn and marks a writer in (W2); false after the busy
 * timeout (wait), or at once when write_mu is held (!wait). Unlock returns whether files left for a
 * writer to release (W2) are stranded: then the caller releases them (posix_gc_later_settle).
 */
bool posix_write_lock(struct posix_be *pb, bool wait);
bool posix_write_unlock(struct posix_be *pb);
/* W2: releases the files others left, inside c's write transaction. */
void posix_gc_later_release(struct conn *c);
/* W2: releases stranded files in transactions of c's own (c is a pool connection). */
void posix_gc_later_settle(struct conn *c);
/* The same with a pool connection of its own (the caller holds none). */
void posix_gc_later_settle_any(struct posix_be *pb);

/* --- the group commit of object commits (W4, posix_batch.c) --- */

/* Sets up / tears down pb->batch (its mutex and condition). */
bool posix_batch_init(struct posix_batch *b);
void posix_batch_destroy(struct posix_batch *b);
/*
 * Joins the group commit: takes write_mu (W1), opens the batch's write
 * transaction unless one is open, and starts this member's savepoint.
 * *out is the batch connection, for the member's statements only.
 * Errors: S3E_SlowDown (the writer queue's timeout), an index error.
 */
s3err_t posix_batch_join(struct posix_be *pb, struct conn **out);
/*
 * Ends the member's part: on err (its statements failed, or it has
 * nothing to keep) its savepoint is rolled back and err returned; otherwise it waits until the
 * transaction holding its rows has committed, and returns that COMMIT's result. Gives up write_mu
 * either way. A result that posix_commit_unsure calls unsure may still be replayed from the WAL.
 */
s3err_t posix_batch_leave(struct posix_be *pb, struct conn *c, s3err_t err);
/* W4: commits an open batch before another write transaction (under write_mu). */
void posix_batch_close(struct posix_be *pb);

/* --- the pool and column helpers (posix_tx.c) --- */

/* Checks a connection out of the pool (waiting) / back in. */
struct conn *posix_pool_get(struct posix_be *pb);
void posix_pool_put(struct posix_be *pb, struct conn *c);
/* Copies text column i into dst[cap] ("" for NULL); false if it does not fit. */
bool posix_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap);
/* Copies an id column; false (logged) if the index holds something else. */
bool posix_col_id(sqlite3_stmt *st, int i, char out[POSIX_ID_HEX + 1]);
/* Copies a BLOB column of at most STRATA_MAX_STORED_HEADERS into m->headers. */
s3err_t posix_col_headers(sqlite3_stmt *st, int i, struct obj_meta *m);
/*
 * Server-side encryption fields (F5): columns c0, c0 + 1, c0 + 2 are
 * sse_mode, sse_key_id, sse_envelope. posix_col_sse copies them into m;
 * false when the row is malformed (mode not 0..2, an id or envelope that
 * does not fit). posix_bind_sse binds m's as parameters i0.. (the caller
 * checked them with posix_sse_valid); SQLITE_OK or the error.
 */
bool posix_col_sse(sqlite3_stmt *st, int c0, struct obj_meta *m);
int posix_bind_sse(sqlite3_stmt *st, int i0, const struct obj_meta *m);
/*
 * true when m's sse fields are storable: mode SSE_NONE (no id, no
 * envelope), SSE_S3 (an id and an envelope) or SSE_C (an envelope, no id),
 * each within its cap. Logs what is wrong (names no key material).
 */
bool posix_sse_valid(const struct obj_meta *m);

/* --- object rows (posix.c) --- */

/* S3E_OK when the bucket exists, S3E_NoSuchBucket when not. */
s3err_t posix_bucket_exists(struct conn *c, const char *bucket);
/* The current time in ms since the epoch (CLOCK_REALTIME). */
int64_t posix_now_ms(void);
/*
 * Within the caller's write transaction: inserts or replaces the objects
 * row of bucket/key with meta, data id and layout (P7: the caller retired
 * the old row's data first); framed says how a layout-0 file was written
 * (F2), tier where it is (T2; for layout 1 where the parts were put). The
 * row starts with no restore whatever meta says (R1): a restore belonged
 * to the version it replaces; and with replication status repl_status
 * (Q2: the caller's, from its repl_request; m->repl_status is ignored).
 * Error: S3E_InternalError, S3E_SlowDown.
 */
s3err_t posix_obj_upsert(struct conn *c, const char *bucket, const char *key, const char *id,
			 const struct obj_meta *m, int layout, bool framed, const char *tier,
			 int repl_status);
/*
 * Loads the row of bucket/key: its metadata with headers, sse fields (F5)
 * and restore (R1), object id, layout, whether its file is framed (F2) and
 * its tier (T2). Errors: S3E_NoSuchKey, S3E_NoSuchBucket, S3E_InternalError.
 */
s3err_t posix_row_load(struct conn *c, const char *bucket, const char *key, struct obj_meta *out,
		       char id[POSIX_ID_HEX + 1], int *layout, bool *framed,
		       char tier[POSIX_TIER_MAX]);
/*
 * Within the caller's transaction (a delete's, a restore release's): S3E_OK
 * while the row of bucket/key is still the version (mtime_ms, etag) a
 * caller saw, S3E_PreconditionFailed when not (another version or gone).
 */
s3err_t posix_row_is(struct conn *c, const char *bucket, const char *key, int64_t mtime_ms,
		     const char *etag);

/* --- the files an object row names (posix_gc.c) --- */

/* The columns of an objects row that name its data (ST_OBJ_ID). */
struct obj_files {
	char id[POSIX_ID_HEX + 1]; /* layout 0: its file; "" when the index holds no usable id */
	char tier[POSIX_TIER_MAX]; /* layout 0: where that file is (T2) */
	int layout;
	int restore_state; /* R1 */
};

/*
 * Within the caller's transaction: what the row of bucket/key names
 * (*found false: there is none). A layout-0 id or tier the index holds
 * malformed (logged) leaves id "": it cannot name a file to act on.
 */
s3err_t posix_obj_files_get(struct conn *c, const char *bucket, const char *key,
			    struct obj_files *o, bool *found);
/*
 * R6, within the caller's write transaction: queues in gc the restored
 * copies of o, the row of bucket/key, whose restore is done: ("", id) of
 * each of its files not at home. *copy: the copy of layout 0's one file
 * was queued; *parts: copies of parts were (drain gc after the commit).
 */
s3err_t posix_rs_queue_copies(struct conn *c, const char *bucket, const char *key,
			      const struct obj_files *o, bool *copy, bool *parts);

/* --- ids, paths and data files (posix_data.c) --- */

/* 32 lowercase hex digits and a NUL: the only strings that may name a file (P5). */
bool posix_id_valid(const char *id);
/* A fresh random id: 16 bytes of RAND_bytes in lowercase hex. Error: S3E_InternalError. */
s3err_t posix_id_new(char out[POSIX_ID_HEX + 1]);
/* "xx/ID" for a valid id, relative to objects/. */
void posix_id_relpath(const char *id, char out[POSIX_REL_LEN + 1]);
/* Bytes on disk of a data file holding `size` plaintext bytes (framed or legacy). */
uint64_t posix_stored_size(bool framed, uint64_t size);
/* The 16 raw bytes of a valid hex id: the file id bound into its frames' tags. */
void posix_id_raw(const char *id, uint8_t out[FRAME_FILE_ID_SIZE]);
/*
 * Opens loc's objects/xx/ID (a remote location: its object, X3) for
 * reading and checks it holds `stored` bytes (posix_stored_size of the
 * row's frames and size). A file of another size is logged and counted as
 * an integrity failure. Errors: S3E_NoSuchKey (gone: replaced, deleted or
 * moved to another tier meanwhile; not logged), S3E_ServiceUnavailable (a
 * remote location cannot be reached), S3E_InternalError (logged).
 */
s3err_t posix_data_open(const struct posix_loc *loc, const char *id, uint64_t stored,
			struct posix_fh *fh);
/*
 * posix_data_open's size check for inline bytes already in *fh (I2, from
 * posix_inline_open) of id in loc: another size is logged, counted and
 * closes *fh. Error: S3E_InternalError.
 */
s3err_t posix_data_adopt(struct posix_fh *fh, const struct posix_loc *loc, const char *id,
			 uint64_t stored);

/* --- data files of a location: the local or the remote kind (X1..X7 in posix_remote.c) --- */

/*
 * Opens a data file for reading, without judging its size: loc's
 * objects/xx/ID, or with in_tmp its tmp/ID (local files only: a remote
 * location's temporaries are the home's), or loc's remote object. *stored
 * is its size. Errors: S3E_NoSuchKey (not there; not logged),
 * S3E_ServiceUnavailable (remote unreachable), S3E_InternalError (logged).
 */
s3err_t posix_fh_open(const struct posix_loc *loc, const char *id, bool in_tmp,
		      struct posix_fh *out, uint64_t *stored);
/*
 * Reads exactly len stored bytes at off. *short_file (with
 * S3E_InternalError) when the file ends first: never padding. Other
 * errors: S3E_ServiceUnavailable (a remote broke off), S3E_InternalError
 * (logged with errno or the remote's answer).
 */
s3err_t posix_fh_read(const struct posix_fh *fh, uint64_t off, void *buf, size_t len,
		      bool *short_file);
/* Closes fh (local fd or remote stream) and makes it POSIX_FH_NONE; a closed one is left. */
void posix_fh_close(struct posix_fh *fh);
/* true while fh holds an open file. */
bool posix_fh_is_open(const struct posix_fh *fh);
/*
 * Allocates a writer of `kind` for bucket/key (both already checked; key ""
 * for parts) and creates its tmp/ID in loc (an object writer at home: only
 * once its bytes outgrow memory, I1), framed unless an object writer
 * under posix_opts.plain_writes. Error: S3E_InternalError.
 */
s3err_t posix_writer_new(struct posix_be *pb, const struct posix_loc *loc, const char *bucket,
			 const char *key, enum writer_kind kind, struct be_writer **out);
/*
 * I1, I4: an inline writer's bytes so far go to a new tmp/ID in w->loc,
 * and w writes its file from here on (not inline any more). A failure
 * poisons w. Errors: as creating or writing tmp/ID.
 */
s3err_t posix_writer_spill(struct be_writer *w);
/* The writer_write and writer_seal slots (contracts in backend.h), for objects and parts. */
s3err_t posix_writer_write(struct be_writer *w, const void *data, size_t len);
s3err_t posix_writer_seal(struct be_writer *w, const uint8_t *data_key);
/* Reads exactly len bytes at off; a short file is S3E_InternalError, never padding. */
s3err_t posix_data_pread(const struct posix_fh *fh, uint64_t off, void *buf, size_t len);

/* Counts one integrity failure (posix_integrity_failures in posix.h). */
void posix_integrity_count(void);
/*
 * Reads frame `index` of a framed file f into frame[POSIX_FRAME_STRIDE]
 * (data, then tag) and verifies it: frames_verify for a plain frame,
 * frames_open through f->cipher for a sealed one (which decrypts frame in
 * place, F6); *len is its plaintext length. Neither logs an integrity
 * failure nor counts it: the caller says what the file was. Errors:
 * S3E_InternalError with *corrupt = true (the frame failed verification,
 * or the file ends early) or false (an I/O error, logged; or a sealed file
 * without its cipher).
 */
s3err_t posix_frame_load(const struct posix_dfile *f, uint64_t index, uint8_t *frame, size_t *len,
			 bool *corrupt);
/*
 * Copies plaintext bytes [off, off + len) of f (off + len <= f->size) into
 * buf. Framed files go frame by frame through fc, verifying each frame
 * before any of its bytes are copied; legacy files are pread as they are.
 * A sealed file first gets its cipher (f->cipher, kept for the caller to
 * free with posix_dfile_release) from fc's data key; without one the read
 * fails (logged, not counted: nothing is wrong with the file). A frame that
 * fails is logged (bucket, key, file id, frame index) and counted, and no
 * byte of it is copied. Error: S3E_InternalError.
 */
s3err_t posix_dfile_read(struct posix_frame_cache *fc, struct posix_dfile *f, uint64_t off,
			 void *buf, size_t len);
/* Frees f's cipher (the key schedule is wiped), if any; the fd stays the caller's. */
void posix_dfile_release(struct posix_dfile *f);
/* Frees fc's buffer and cleanses its data key (fc itself belongs to the caller). */
void posix_frame_cache_free(struct posix_frame_cache *fc);

/*
 * Steps 1-3 of the commit order (posix.h), in the writer's location: fsync
 * and close tmp/ID, rename it to objects/xx/ID, fsync objects/xx. *where
 * and *xxfd track the file for posix_data_cleanup whatever happens.
 */
s3err_t posix_data_place(struct be_writer *w, int *xxfd, enum data_where *where);
/* Removes the writer's file unless PUBLISHED, closes fds and frees w. */
void posix_data_cleanup(struct be_writer *w, int xxfd, enum data_where where);
/* Opens loc's objects/xx/ for id, creating it (durably) if someone removed it. */
s3err_t posix_xx_dir_open(const struct posix_loc *loc, const char *id, int *out);

/* --- gc (posix_gc.c; invariants P2, T4) --- */

/*
 * Within the caller's transaction (T4): *named when an objects (layout 0),
 * parts or object_parts row names the data file (tier, id), or, for tier
 * "", when id is a file of an object whose restore is done (its restored
 * copy, R2).
 */
s3err_t posix_file_named(struct conn *c, const char *tier, const char *id, bool *named);
/* Within the caller's transaction: *pending when gc holds a row for (tier, id) (X5). */
s3err_t posix_gc_pending(struct conn *c, const char *tier, const char *id, bool *pending);
/* Queues the file (tier, id) in gc within the caller's transaction. */
s3err_t posix_gc_add(struct conn *c, const char *tier, const char *id);

/* --- small objects' bytes in the index (posix_inline.c, I1..I5) --- */

/* Plaintext bytes of the largest single PUT kept inline, and its stored size (framed). */
#define POSIX_INLINE_MAX 8192u
#define POSIX_INLINE_STORED_MAX (POSIX_INLINE_MAX + FRAME_TAG_SIZE)
/* Within the caller's write transaction: id's stored bytes go into inline_data (I1). */
s3err_t posix_inline_put(struct conn *c, const char *id, const uint8_t *data, size_t len);
/*
 * Within the caller's read snapshot: *fh holds a copy of id's stored bytes
 * when inline_data has them (I2), else stays POSIX_FH_NONE.
 * Error: S3E_InternalError (logged).
 */
s3err_t posix_inline_open(struct conn *c, const char *id, struct posix_fh *fh);
/*
 * Within the caller's write transaction, the data of a retired row or a
 * transition's source (tier, id): deleted from inline_data when it is there
 * (I3, *queued false), else queued in gc (*queued true).
 */
s3err_t posix_data_retire(struct conn *c, const char *tier, const char *id, bool *queued);
/*
 * posix_fh_open, and posix_data_open, for callers without the row's
 * snapshot (the scrubber, a transition's copy): a home id is looked up in
 * inline_data first (I2; a pool connection for that lookup only), then
 * opened as a file. The same errors.
 */
s3err_t posix_fh_open_any(struct posix_be *pb, const struct posix_loc *loc, const char *id,
			  bool in_tmp, struct posix_fh *out, uint64_t *stored);
s3err_t posix_data_open_any(struct posix_be *pb, const struct posix_loc *loc, const char *id,
			    uint64_t stored, struct posix_fh *out);
/*
 * After commit: unlinks one queued file and forgets its gc row, in one
 * write transaction that first makes sure no row names it again (T4).
 */
void posix_gc_finish(struct posix_be *pb, struct conn *c, const char *tier, const char *id);
/*
 * After commit: unlinks every queued file and forgets their rows, in
 * batches (one small write transaction per batch, T4). Used where one
 * commit queued many files (a multipart object, an upload's parts) and at
 * open.
 */
s3err_t posix_gc_drain(struct posix_be *pb, struct conn *c);
/*
 * Within the caller's write transaction: queues in gc the data of the
 * object at bucket/key (its file, or its part files and their
 * object_parts rows, which it deletes), and the restored copies of a done
 * restore (R6), ahead of the caller replacing or deleting the objects row.
 * *found says whether there was a row.
 */
s3err_t posix_obj_retire(struct conn *c, const char *bucket, const char *key, struct retired *out,
			 bool *found);
/* After the commit of a transaction that retired r: reclaims its files. */
void posix_retired_finish(struct posix_be *pb, struct conn *c, const struct retired *r);

/* --- scans and the backend (posix.c) --- */

/* The smallest string above every string starting with prefix, or *out = NULL (none). */
s3err_t posix_prefix_upper(const char *prefix, char **out);
/* The backend's slots: posix_open_opts gives them to every backend it opens. */
extern const struct backend_ops posix_ops;
/* P8: (re)fills index.reserve; on failure marks it given up, for the next delete to retry. */
void posix_reserve_fill(struct posix_be *pb);

/* --- opening the index (posix_schema.c) --- */

/*
 * Opens a connection c of pb to the index at path with its per-connection
 * settings (busy timeout, synchronous, foreign keys). Error: S3E_InternalError (logged).
 */
s3err_t posix_conn_open(struct posix_be *pb, const char *path, struct conn *c);
/* Prepares every statement (ST_*) on c. Error: S3E_InternalError (logged). */
s3err_t posix_conn_prepare(struct posix_be *pb, struct conn *c);
/* Switches index.db to WAL and migrates it to the current schema; S3E_InternalError if newer. */
s3err_t posix_schema_migrate(struct posix_be *pb, struct conn *c);
/* Creates the data directory's index.db 0600 if it is missing. Error: S3E_InternalError. */
s3err_t posix_index_precreate(struct posix_be *pb);

/* --- locations, opening and closing (posix_open.c; T1) --- */

/* The location named tier ("" = the home), or NULL when no such tier is configured (T1). */
const struct posix_loc *posix_loc_find(const struct posix_be *pb, const char *tier);
/* Where files of storage_class go: its tier if one is configured, else the home (T3). */
const struct posix_loc *posix_loc_for_class(const struct posix_be *pb, const char *storage_class);
/* The close slot: closes the index and every location and frees pb; NULL does nothing. */
void posix_close(struct backend *be);

/* --- scrub (posix_scrub.c) --- */

/* The `scrub` slot (contract in backend.h); SSE-S3 objects are decrypted with posix_opts.keys. */
s3err_t posix_scrub(struct backend *be, uint64_t bytes_per_second, const volatile bool *stop,
		    scrub_report_fn report, void *ctx, struct scrub_stats *stats);
/*
 * Reads files[0..n) of one object back whole as the scrubber does (S6 in
 * posix_scrub.c): every frame verified (sealed ones with the keyless
 * check), and the SHA-256 of the plaintext across them compared with
 * sha256 ("" = none recorded) wherever the plaintext is readable: plain
 * files, and SSE-S3 files when posix_opts.keys unwraps sse's envelope
 * (sse: only its sse_* fields are read). *sha_checked says whether it was.
 * For bucket/key in messages. Errors: S3E_InternalError (logged: what was
 * wrong with which file, or the scrub machinery failed).
 */
s3err_t posix_verify_files(struct posix_be *pb, const char *bucket, const char *key,
			   const struct posix_file *files, size_t n, const char *sha256,
			   const struct obj_meta *sse, bool *sha_checked);

/* --- storage tiers and archive restores (posix_tiers.c, posix_restore.c; T*, R*) --- */

/* Backend slots (contracts in backend.h). */
s3err_t posix_writer_place(struct be_writer *w, const char *storage_class);
s3err_t posix_object_transition(struct backend *be, const char *bucket, const char *key,
				int64_t mtime_ms, const char *etag, const char *storage_class);
s3err_t posix_restore_request(struct backend *be, const char *bucket, const char *key,
			      int64_t until_ms, int *state_out);
s3err_t posix_restore_due(struct backend *be, int64_t now_ms, restore_visit_fn visit, void *ctx);
s3err_t posix_restore_run(struct backend *be, const char *bucket, const char *key, int64_t mtime_ms,
			  const char *etag);
s3err_t posix_restore_release(struct backend *be, const char *bucket, const char *key,
			      int64_t mtime_ms, const char *etag);

/*
 * The copy machinery a transition (T5) and a restore run (R5) share, in
 * the order they run it: load, stage, switch (the caller's objects-row
 * UPDATE, then posix_switch_files), and discard on failure.
 */

/* One data file a transition moves, and what it has done with its copy so far. */
struct tr_file {
	struct posix_file src; /* where it is (step 1) */
	bool move;	       /* not yet in the target location */
	bool inl;	       /* its bytes were inline (I4): the switch released them */
	bool in_tmp;	       /* the copy is the target's tmp/ID (we created it) */
	bool placed;	       /* the copy is the target's objects/xx/ID (we renamed it there) */
	dev_t dev;	       /* the placed copy's inode (T4) */
	ino_t ino;
};

/* What step 1 loaded: the version being moved and its files. */
struct tr_plan {
	struct obj_meta m; /* the row (sse fields and sha256 for the verification) */
	char id[POSIX_ID_HEX + 1];
	char tier[POSIX_TIER_MAX]; /* objects.tier */
	int layout;
	struct tr_file *files;
	size_t n, moves;
	const struct posix_loc *to;
};

/* Frees what posix_tr_load put in p (its row and file array); p itself is the caller's. */
void posix_tr_plan_free(struct tr_plan *p);
/*
 * T5 (and R5) step 1, in one read snapshot: the row of bucket/key, only
 * while it is the version (mtime_ms, etag) with restore_state `restore`
 * (a transition: none, T7; a restore run: ongoing), and its data files
 * where they are now. Errors: S3E_PreconditionFailed (another version,
 * gone, or another restore state), S3E_NoSuchBucket, S3E_InternalError.
 */
s3err_t posix_tr_load(struct posix_be *pb, const char *bucket, const char *key, int64_t mtime_ms,
		      const char *etag, int restore, struct tr_plan *p);
/*
 * T5 steps 2-4 for every file to move: copy, read the whole object back at
 * the target, then place the copies. A vanished source means the object
 * changed since step 1: S3E_PreconditionFailed.
 */
s3err_t posix_tr_stage(struct posix_be *pb, const char *bucket, const char *key, struct tr_plan *p);
/* Runs an UPDATE whose texts are a[0..n) and int64 at ?i64_at (0: none); *one: one row changed. */
s3err_t posix_tr_update(struct conn *c, enum stmt id, const char *const *a, int n, int i64_at,
			int64_t v, bool *one);
/* T4: every copy placed is still the file this switch renamed there. */
bool posix_tr_all_placed(const struct tr_plan *p);
/*
 * What a transition's and a restore's switch share, inside the caller's
 * transaction after its objects-row UPDATE (err: how that went): each
 * copied file's object_parts row (layout 1) must still name it where step 1
 * saw it, and takes the target's tier when release (a transition) or keeps
 * its own (a restore, whose copy is additional); with release the source
 * goes to gc with its old tier; a gc row for the copy's own name is stale
 * from now on (T4). Commits, or rolls back on any error. *unsure as in
 * index_publish.
 */
s3err_t posix_switch_files(struct conn *c, const char *bucket, const char *key,
			   const struct tr_plan *p, bool release, s3err_t err, bool *unsure);
/* X4: removes a remote target's temporaries (the claims on the ids), after a switch. */
void posix_tr_unclaim(const struct tr_plan *p);
/*
 * Removes the copies of a transition (or restore run, R5) that did not
 * switch: those in tmp/ outright, placed ones in one write transaction
 * only where no row names them (T4: a concurrent transition or restore may
 * have made that name live).
 */
void posix_tr_discard(struct posix_be *pb, const struct tr_plan *p);

/* --- multipart (posix_multipart.c) --- */

/* Backend slots (contracts in backend.h). */
s3err_t posix_upload_create(struct backend *be, const char *bucket, const char *key,
			    const struct obj_meta *meta, char upload_id[STRATA_UPLOAD_ID_MAX]);
s3err_t posix_upload_get(struct backend *be, const char *bucket, const char *upload_id,
			 struct upload_info *out);
s3err_t posix_part_writer_open(struct backend *be, const char *bucket, const char *upload_id,
			       unsigned number, uint64_t size_hint, struct be_writer **out);
s3err_t posix_part_commit(struct be_writer *w, const struct part_info *p);
s3err_t posix_part_reader_open(struct backend *be, const char *bucket, const char *upload_id,
			       unsigned number, struct be_reader **out);
s3err_t posix_part_list(struct backend *be, const char *bucket, const char *upload_id,
			unsigned after, size_t limit, part_visit_fn visit, void *ctx);
s3err_t posix_upload_list(struct backend *be, const char *bucket, const char *prefix,
			  const char *key_marker, const char *upload_id_marker, size_t limit,
			  upload_visit_fn visit, void *ctx);
s3err_t posix_upload_abort(struct backend *be, const char *bucket, const char *upload_id);
s3err_t posix_upload_complete(struct backend *be, const char *bucket, const char *upload_id,
			      const struct complete_part *parts, size_t n,
			      const struct obj_meta *meta);
s3err_t posix_object_part_range(struct backend *be, const char *bucket, const char *key,
				unsigned number, uint64_t *offset, uint64_t *size);
s3err_t posix_upload_complete_v(struct backend *be, const char *bucket, const char *upload_id,
				const struct complete_part *parts, size_t n,
				const struct obj_meta *meta, const struct repl_request *req,
				char version_id[STRATA_VERSION_ID_MAX]);

/*
 * Within the caller's read snapshot: loads the part table of the layout-1
 * object bucket/key whose row says `size` bytes; sealed: its row's
 * sse_mode is not SSE_NONE, so every part file is sealed (F5); restored:
 * its restore is done, so every part is read from the home location,
 * where its restored copy (or the part itself) is (R4 in posix_restore.c).
 * Error: S3E_InternalError (no parts, sizes that do not add up, a sealed
 * part the index says is unframed, or a part in a tier not configured).
 */
s3err_t posix_mp_map_load(struct posix_be *pb, struct conn *c, const char *bucket, const char *key,
			  uint64_t size, bool sealed, bool restored, struct mp_map **out);
/*
 * Within the caller's read snapshot: the data files of the layout-1 object
 * bucket/key (size bytes, sealed as its row says), in idx order, each at
 * its own location (a malloc'd array of *n for the caller to free).
 * Errors as posix_mp_map_load.
 */
s3err_t posix_mp_files_load(struct posix_be *pb, struct conn *c, const char *bucket,
			    const char *key, uint64_t size, bool sealed, struct posix_file **out,
			    size_t *n);
/*
 * Outside any transaction: opens the first part files (all of them for a
 * small object, M6). Errors: S3E_NoSuchKey (a part file is gone: the
 * object was replaced after the snapshot; reload and retry),
 * S3E_InternalError.
 */
s3err_t posix_mp_map_open(struct posix_be *pb, struct mp_map *map);
/* reader_read for layout 1 (M7): each part through posix_dfile_read with the reader's fc. */
s3err_t posix_mp_read(struct mp_map *map, struct posix_frame_cache *fc, uint64_t off, void *buf,
		      size_t len, size_t *got);
void posix_mp_map_free(struct mp_map *map);
/* Within the caller's write transaction: forgets completed uploads past their keep time. */
s3err_t posix_mp_prune(struct conn *c, int64_t now_ms);
/*
 * Within bucket_delete's write transaction: aborts every upload of the
 * bucket (M9), queueing their parts in gc; *queued says whether any was.
 */
s3err_t posix_mp_bucket_purge(struct conn *c, const char *bucket, bool *queued);

/* --- replication queue (posix_repl.c; invariants Q1..Q8) --- */

/*
 * true when req (non-NULL) is storable: at most REPL_MAX_TARGETS targets,
 * none for a replica, each with a site and a bucket, every string
 * terminated within its array. Logs what is wrong (a caller's bug).
 */
bool posix_repl_valid(const struct repl_request *req);
/* Q2: the objects.repl_status a commit with req (NULL: none) stores. */
int posix_repl_status_of(const struct repl_request *req);
/*
 * Q1, within the caller's write transaction: queues one event per target
 * of req (NULL or a replica: none) for bucket/key: a write of the version
 * (mtime_ms, etag), or with is_delete a delete, for the targets whose
 * `deletes` is set only. version_id is the version (or delete marker) the
 * change made ("" in a never-versioned bucket; Q9). *queued (may be NULL) is how many rows went in.
 * req must have passed posix_repl_valid. Errors: S3E_InternalError,
 * S3E_SlowDown.
 */
s3err_t posix_repl_queue(struct conn *c, const char *bucket, const char *key,
			 const struct repl_request *req, bool is_delete, int64_t mtime_ms,
			 const char *etag, const char *version_id, size_t *queued);
/* Backend slots (contracts in backend.h). */
s3err_t posix_writer_replicate(struct be_writer *w, const struct repl_request *req);
s3err_t posix_upload_complete_repl(struct backend *be, const char *bucket, const char *upload_id,
				   const struct complete_part *parts, size_t n,
				   const struct obj_meta *meta, const struct repl_request *req);
s3err_t posix_repl_enqueue(struct backend *be, const char *bucket, const char *key,
			   const struct repl_request *req);
s3err_t posix_repl_due(struct backend *be, int64_t now_ms, size_t limit, repl_visit_fn visit,
		       void *ctx);
s3err_t posix_repl_done(struct backend *be, uint64_t seq);
s3err_t posix_repl_retry(struct backend *be, uint64_t seq, int64_t next_ms, bool failed,
			 const char *error);
s3err_t posix_repl_stats(struct backend *be, const char *bucket, struct repl_stats *out);
/* posix_usage.c: the storage_usage slot. */
s3err_t posix_storage_usage(struct backend *be, usage_visit_fn visit, void *ctx);

/* --- versioning (posix_versions.c; invariants V1..V9) --- */

/*
 * V2: the bucket whose objects rows (and object_parts rows) hold the data
 * of noncurrent versions. No S3 bucket name can contain '/', and no caller
 * of the backend names it: bucket_list leaves it out.
 */
#define POSIX_VER_BUCKET "/v"

/*
 * Within a commit's write transaction, where posix_obj_retire ran before:
 * makes way for the new current version of bucket/key as the bucket's
 * versioning state (read here, V3) says: never versioned: retires the
 * current object (into *old, *found as posix_obj_retire); Enabled: keeps
 * the current one as noncurrent (nothing retired); Suspended: retires the
 * null version wherever it is and keeps a non-null current as noncurrent.
 * report gets the id of the version the commit makes ("" never versioned,
 * "null", or a new id); the caller passes it to posix_ver_set after its
 * upsert. Errors: S3E_InternalError, S3E_SlowDown.
 */
s3err_t posix_ver_make_room(struct conn *c, const char *bucket, const char *key,
			    struct retired *old, bool *found, char report[STRATA_VERSION_ID_MAX]);
/*
 * After the upsert of posix_ver_make_room's commit: gives the row its
 * version id (V1) and the lock m asks or the bucket's default gives (L4).
 * Errors: S3E_InvalidRequest (a lock asked in a bucket without lock).
 */
s3err_t posix_ver_set(struct conn *c, const char *bucket, const char *key, const char *report,
		      const struct obj_meta *m);
/*
 * Q9, within a replica's commit or delete transaction, after
 * posix_ver_make_room or posix_ver_delete (of the key) made the version
 * id: when the bucket gave a new id (Enabled) and want is a Strata id,
 * the version keeps want instead: *id (the report, or the delete's
 * result) becomes want, and a delete marker just made (again non-NULL) is
 * renamed. An id the key already has is S3E_InvalidArgument for a write;
 * for a delete, when that version is a marker, *again is set (the caller
 * rolls back: a replayed event) and *id names it. want NULL or "": nothing.
 */
s3err_t posix_ver_keep_id(struct conn *c, const char *bucket, const char *key, const char *want,
			  char id[STRATA_VERSION_ID_MAX], bool *again);
/* Within a transaction: *enabled when the bucket's versioning is Enabled (V3). */
s3err_t posix_ver_enabled(struct conn *c, const char *bucket, bool *enabled);
/*
 * Within a delete's write transaction (object_delete_once), instead of
 * retiring the row itself: the versioned delete of backend.h's
 * object_delete_v (version_id NULL: of the key). *found: something
 * changed (false: S3E_NoSuchKey for the caller). *old: the data to reclaim
 * after the commit.
 */
s3err_t posix_ver_delete(struct conn *c, const char *bucket, const char *key,
			 const char *version_id, bool bypass, struct retired *old, bool *found,
			 struct delete_result *out);
/*
 * Within a read snapshot: where version version_id of bucket/key is: its
 * objects row at (lbucket, lkey), or a delete marker (*marker). Errors:
 * S3E_NoSuchVersion, S3E_NoSuchBucket, S3E_InternalError.
 */
s3err_t posix_ver_locate(struct conn *c, const char *bucket, const char *key,
			 const char *version_id, char lbucket[STRATA_BUCKET_NAME_MAX + 1],
			 char lkey[STRATA_MAX_KEY_LEN + 1], bool *marker,
			 char found_id[STRATA_VERSION_ID_MAX]);
/* Within a read snapshot, for a key without an objects row: its latest delete marker if any. */
s3err_t posix_ver_latest_marker(struct conn *c, const char *bucket, const char *key, bool *marker,
				char version_id[STRATA_VERSION_ID_MAX]);
/* Within bucket_delete's transaction: *any when the bucket holds versions or markers (V8). */
s3err_t posix_ver_any(struct conn *c, const char *bucket, bool *any);
/* Backend slots (contracts in backend.h). */
s3err_t posix_version_scan(struct backend *be, const char *bucket, const char *key, const char *vid,
			   const char *prefix, size_t limit, versions_visit_fn visit, void *ctx);
s3err_t posix_version_expire(struct backend *be, const char *bucket, const char *key,
			     const char *version_id, int64_t mtime_ms, bool lone_marker);
s3err_t posix_version_transition(struct backend *be, const char *bucket, const char *key,
				 const char *version_id, int64_t mtime_ms, const char *etag,
				 const char *storage_class);

/* --- object lock (posix_lock.c; invariants L1..L4) --- */

/*
 * L3: within a write transaction, before objects row (bucket, key) goes for
 * good: S3E_AccessDenied while it is under legal hold or retention
 * (GOVERNANCE yields to bypass). No row: S3E_OK.
 */
s3err_t posix_lock_check(struct conn *c, const char *bucket, const char *key, bool bypass);
/*
 * L4: within a commit's transaction, after the upsert of bucket/key: stores
 * the lock m asks, or the bucket's default retention. versioned: the
 * bucket's versioning is Enabled (else no lock can be asked).
 */
s3err_t posix_lock_commit(struct conn *c, const char *bucket, const char *key, bool versioned,
			  const struct obj_meta *m);
/* Within bucket_create's transaction: versioning Enabled and lock enabled (L2). */
s3err_t posix_lock_bucket_init(struct conn *c, const char *bucket);
/*
 * L2: within the transaction that writes configuration document name =
 * value: S3E_InvalidBucketState when it would leave a lock-enabled bucket
 * anything but Enabled (or delete its versioning state).
 */
s3err_t posix_lock_config_guard(struct conn *c, const char *bucket, const char *name,
				const char *value, size_t len);
/* Within a transaction: stores the bucket's lock document (the compact form). */
s3err_t posix_lock_config_write(struct conn *c, const char *bucket, const char *doc, size_t len);
/* Backend slots (contracts in backend.h). */
s3err_t posix_bucket_lock_put(struct backend *be, const char *bucket, const char *doc, size_t len);
s3err_t posix_object_lock_set(struct backend *be, const char *bucket, const char *key,
			      const char *version_id, const struct lock_change *ch);

/* --- remote tiers (posix_remote.c; invariants X1..X7) --- */

struct s3c;

#define POSIX_REMOTE_PREFIX_MAX                                                                    \
	CONFIG_TIER_PREFIX_MAX /* a remote tier's key prefix: "" or ending in '/' */

/* "s3://": the form of a tier that lives in a remote bucket (X1). */
bool posix_remote_url_is(const char *dir);
/*
 * Parses "s3://BUCKET" or "s3://BUCKET/PREFIX/" (PREFIX: printable ASCII
 * without a backslash, at most POSIX_REMOTE_PREFIX_MAX bytes with its final '/').
 * false for anything else.
 */
bool posix_remote_url_parse(const char *url, char bucket[STRATA_BUCKET_NAME_MAX + 1],
			    char prefix[POSIX_REMOTE_PREFIX_MAX + 1]);
/*
 * The client of every remote tier, from posix_opts.remote. Errors:
 * S3E_InvalidArgument (settings missing or malformed: logged naming them).
 */
s3err_t posix_remote_client(const struct posix_remote_opts *o, struct s3c **out);
/*
 * Makes loc (tier set, fds -1) the remote tier at url through client c
 * (borrowed), with home's tmp/ for its temporaries, and checks the bucket
 * answers, creating it when absent (X7: an unreachable remote is logged
 * and the tier opened degraded; a remote that refuses is an error).
 * Errors: S3E_InvalidArgument (a malformed URL), S3E_InternalError.
 */
s3err_t posix_remote_attach(struct posix_loc *loc, struct s3c *c, const char *url,
			    const struct posix_loc *home);
/* true when url names the same bucket and prefix as the remote location loc. */
bool posix_remote_same(const struct posix_loc *loc, const char *url);
/* Frees what posix_remote_attach made; loc->remote becomes NULL. */
void posix_remote_detach(struct posix_loc *loc);
/* X3: opens loc's object for id (HEAD: its size and ETag). Errors as posix_fh_open. */
s3err_t posix_remote_open(const struct posix_loc *loc, const char *id, struct posix_rfile **out,
			  uint64_t *size);
/* X3: posix_fh_read of a remote object. */
s3err_t posix_remote_read(struct posix_rfile *rf, uint64_t off, void *buf, size_t len,
			  bool *short_file);
/* Ends the stream and frees rf; NULL does nothing. */
void posix_remote_close(struct posix_rfile *rf);
/*
 * X2: uploads the `size` bytes of the local file fd (read with pread from
 * 0) as loc's object for id: one PUT, or a multipart upload for a large
 * file (aborted on failure). Returns once the remote accepted every
 * request (Content-MD5 checked there). Errors: S3E_ServiceUnavailable,
 * S3E_InternalError (logged).
 */
s3err_t posix_remote_put(const struct posix_loc *loc, const char *id, int fd, uint64_t size);
/* X5: deletes loc's object for id (gone already is success). Errors as posix_remote_put. */
s3err_t posix_remote_delete(const struct posix_loc *loc, const char *id);
/* Visitor of posix_remote_list: name is the key after "objects/" (not NUL-terminated). */
typedef void (*posix_remote_visit_fn)(void *ctx, const char *name, size_t len, int64_t mtime_ms);
/* X6: lists loc's objects whose id starts with xx (two hex digits), page by page. */
s3err_t posix_remote_list(const struct posix_loc *loc, const char *xx, posix_remote_visit_fn visit,
			  void *ctx);
/* X6: *exists when loc still has an object for id (HEAD). */
s3err_t posix_remote_exists(const struct posix_loc *loc, const char *id, bool *exists);

#endif
