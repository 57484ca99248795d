/*
 * Unit tests for gateway/arena.c: every allocation aligned for any type and
 * zeroed, the cap never exceeded (in total, by one oversized request, or by a
 * size that overflows near SIZE_MAX), string copies, reuse after
 * arena_free, and many small allocations spread over several blocks without
 * overlapping; arena_rewind keeping only the first standard block. Run under ASan/LSan to also
 * catch overruns and leaks.
 *
 * Requests whose size overflows are made in a child process: a defect there
 * corrupts the heap, and the child's death is reported as this test's
 * failure instead of taking the whole program down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../gateway/arena.h"

#define ALIGN alignof(max_align_t)

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) / ALIGN * ALIGN;
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Sizes around the alignment and around the 8 KiB block size. */
/* clang-format off */
static const size_t sizes[] = {
	1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 100, 255, 1000, 4095, 4096, 8000,
	8176, 8191, 8192, 8193, 12000, 16384, 20000, 1, 3, 65536,
};
/* clang-format on */

/* Every allocation is max_align_t-aligned, zeroed, writable in full, and disjoint from the rest. */
static void test_alignment_zeroing_disjoint(void **state)
{
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	unsigned char *ptrs[N];
	struct arena a;
	size_t i;

	(void)state;
	arena_init(&a, 1u << 20);
	for (i = 0; i < N; i++) {
		ptrs[i] = arena_alloc(&a, sizes[i]);
		assert_non_null(ptrs[i]);
		assert_int_equal((uintptr_t)ptrs[i] % ALIGN, 0);
		assert_true(all_bytes(ptrs[i], sizes[i], 0));
		memset(ptrs[i], (int)(i + 1), sizes[i]);
	}
	for (i = 0; i < N; i++)
		assert_true(all_bytes(ptrs[i], sizes[i], (unsigned char)(i + 1)));
	arena_free(&a);
}

/*
 * Zeroing must not rely on fresh memory: dirty a whole arena, free it, and
 * allocate again (the allocator hands back the dirtied blocks).
 */
static void test_zeroing_after_reuse(void **state)
{
	struct arena a;
	int round;

	(void)state;
	arena_init(&a, 1u << 20);
	for (round = 0; round < 4; round++) {
		size_t i;

		for (i = 0; i < 64; i++) {
			size_t n = 24 + i * 61;
			unsigned char *p = arena_alloc(&a, n);

			assert_non_null(p);
			assert_true(all_bytes(p, n, 0));
			memset(p, 0xFF, n);
		}
		arena_free(&a);
		assert_null(a.head);
		assert_int_equal(a.used, 0);
	}
}

struct cap_case {
	size_t cap;
	size_t n; /* allocate n-byte pieces until refused */
};

/* clang-format off */
static const struct cap_case cap_cases[] = {
	{0, 1}, {15, 1}, {16, 1}, {100, 1}, {100, 7}, {100, 33}, {1000, 1000}, {1008, 1000},
	{4096, 4096}, {4096, 1}, {8192, 8192}, {8192, 100}, {10000, 3000}, {65536, 8193},
	{100000, 8192}, {100000, 24},
};
/* clang-format on */

/*
 * Pieces keep coming until the next one would pass the cap: never more than
 * cap bytes handed out, and no refusal while a whole aligned piece still fits.
 */
static void test_cap_total(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++) {
		const struct cap_case *tc = &cap_cases[i];
		struct arena a;
		size_t count = 0;
		unsigned char *p;

		arena_init(&a, tc->cap);
		while ((p = arena_alloc(&a, tc->n)) != NULL) {
			memset(p, 0x5A, tc->n);
			count++;
			assert_true(count * tc->n <= tc->cap);
		}
		if ((count + 1) * round_up(tc->n) <= tc->cap)
			fail_msg("cap %zu, pieces of %zu: refused after %zu pieces", tc->cap, tc->n,
				 count);
		assert_true(a.used <= tc->cap);
		/* once refused, stays refused */
		assert_null(arena_alloc(&a, tc->n));
		arena_free(&a);
	}
}

/* Exact fits, a single request larger than the cap, and a refusal that leaves the arena usable. */
static void test_cap_single(void **state)
{
	struct arena a;
	unsigned char *p;

	(void)state;
	arena_init(&a, 4096);
	assert_null(arena_alloc(&a, 4097));
	assert_null(arena_alloc(&a, 1u << 20));
	assert_int_equal(a.used, 0);
	p = arena_alloc(&a, 4096); /* the whole cap in one piece */
	assert_non_null(p);
	memset(p, 1, 4096);
	assert_null(arena_alloc(&a, 1));
	arena_free(&a);

	/* a refused oversized request does not consume anything */
	arena_init(&a, 64 * 1024);
	assert_non_null(arena_alloc(&a, 1000));
	assert_null(arena_alloc(&a, 64 * 1024));
	p = arena_alloc(&a, 60 * 1024);
	assert_non_null(p);
	memset(p, 2, 60 * 1024);
	arena_free(&a);
}

/* Sizes whose alignment rounding or block header overflows size_t. */
static const size_t huge[] = {
    SIZE_MAX,	   SIZE_MAX - 1,  SIZE_MAX - 14,    SIZE_MAX - 15,
    SIZE_MAX - 16, SIZE_MAX - 64, SIZE_MAX / 2 + 1, SIZE_MAX / 2,
};

static void test_overflow_small_cap(void **state)
{
	struct arena a;
	size_t i;

	(void)state;
	arena_init(&a, 1u << 20);
	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++)
		assert_null(arena_alloc(&a, huge[i]));
	assert_int_equal(a.used, 0);
	assert_non_null(arena_alloc(&a, 16)); /* still usable */
	arena_free(&a);
}

/*
 * Runs fn in a child and returns true when fn returned true there (exit 0).
 * A crash or a sanitizer abort in the child is reported and returns false.
 */
static bool in_child(bool (*fn)(size_t), size_t arg, const char *what)
{
	pid_t pid;
	int status = 0;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka's handlers would longjmp the child back into the test runner */
		static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		_exit(fn(arg) ? 0 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		print_error("%s(%zu): returned a pointer\n", what, arg);
	else if (WIFEXITED(status))
		print_error("%s(%zu): child died (exit %d, sanitizer report above)\n", what, arg,
			    WEXITSTATUS(status));
	else
		print_error("%s(%zu): child killed by signal %d\n", what, arg, WTERMSIG(status));
	return false;
}

/* An arena whose cap is SIZE_MAX ("no cap") must still refuse what cannot be allocated. */
static bool alloc_huge_uncapped(size_t n)
{
	struct arena a;
	void *p;

	arena_init(&a, SIZE_MAX);
	p = arena_alloc(&a, n);
	arena_free(&a);
	return p == NULL;
}

/*
 * Sizes within 32 bytes of SIZE_MAX: either the alignment rounding or the
 * block header added to them wraps. (Sizes that merely exceed memory are left
 * out: ASan aborts on such a malloc by default instead of returning NULL.)
 */
static const size_t wrapping[] = {
    SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 14, SIZE_MAX - 15, SIZE_MAX - 16, SIZE_MAX - 31,
};

static void test_overflow_uncapped(void **state)
{
	size_t i, failures = 0;

	(void)state;
	for (i = 0; i < sizeof(wrapping) / sizeof(wrapping[0]); i++)
		if (!in_child(alloc_huge_uncapped, wrapping[i], "arena_alloc with cap SIZE_MAX"))
			failures++;
	assert_int_equal(failures, 0);
}

/* n + 1 for the NUL must not wrap to a zero-byte allocation that memcpy then overruns. */
static bool strndup_huge(size_t n)
{
	static const char s[] = "abc";
	struct arena a;
	char *p;

	arena_init(&a, 1u << 20);
	p = arena_strndup(&a, s, n);
	arena_free(&a);
	return p == NULL;
}

static void test_strndup_overflow(void **state)
{
	(void)state;
	assert_true(in_child(strndup_huge, SIZE_MAX, "arena_strndup"));
}

static void test_strings(void **state)
{
	static const char embedded[] = {'a', 'b', '\0', 'c', 'd', 'e'};
	char src[] = "hello world";
	char *big_src, *p;
	struct arena a;

	(void)state;
	arena_init(&a, 1u << 20);

	p = arena_strdup(&a, src);
	assert_non_null(p);
	assert_ptr_not_equal(p, src);
	assert_string_equal(p, "hello world");
	src[0] = 'J'; /* a copy, not an alias */
	assert_string_equal(p, "hello world");

	p = arena_strndup(&a, "hello world", 5);
	assert_non_null(p);
	assert_string_equal(p, "hello");

	p = arena_strndup(&a, "xyz", 0);
	assert_non_null(p);
	assert_string_equal(p, "");

	p = arena_strdup(&a, "");
	assert_non_null(p);
	assert_string_equal(p, "");

	/* exactly n bytes are copied, NULs included, then a NUL is added */
	p = arena_strndup(&a, embedded, sizeof(embedded));
	assert_non_null(p);
	assert_memory_equal(p, embedded, sizeof(embedded));
	assert_int_equal(p[sizeof(embedded)], '\0');

	/* a string longer than a block */
	big_src = malloc(20001);
	assert_non_null(big_src);
	memset(big_src, 'k', 20000);
	big_src[20000] = '\0';
	p = arena_strdup(&a, big_src);
	assert_non_null(p);
	assert_string_equal(p, big_src);
	free(big_src);
	arena_free(&a);

	/* out of room: NULL, and a copy that fits exactly still works */
	arena_init(&a, 2 * ALIGN);
	p = arena_strndup(&a, "0123456789abcdefghijklmnopqrstuvwxyz", ALIGN - 1);
	assert_non_null(p);
	assert_int_equal(strlen(p), ALIGN - 1);
	assert_null(arena_strndup(&a, "0123456789abcdefghijklmnopqrstuvwxyz", ALIGN));
	p = arena_strdup(&a, "ok");
	assert_non_null(p);
	assert_string_equal(p, "ok");
	assert_null(arena_strndup(&a, "0123456789abcdefghijklmnopqrstuvwxyz", 2 * ALIGN));
	arena_free(&a);
}

/* arena_free releases everything and the arena serves its whole cap again, repeatedly. */
static void test_free_then_reuse(void **state)
{
	struct arena a;
	size_t first = 0;
	int round;

	(void)state;
	arena_init(&a, 50000);
	arena_free(&a); /* freeing an empty arena is fine */
	for (round = 0; round < 5; round++) {
		size_t count = 0;
		char *p;

		while ((p = arena_alloc(&a, 1000)) != NULL) {
			memset(p, 'r', 1000);
			count++;
		}
		if (round == 0)
			first = count;
		assert_int_equal(count, first);
		assert_true(count >= 45);
		arena_free(&a);
		assert_null(a.head);
		assert_int_equal(a.used, 0);
	}
	arena_free(&a); /* and twice in a row */
}

/*
 * Thousands of small pieces of varied sizes (with one piece larger than a
 * block in the middle) across many blocks: each keeps its own content.
 */
static void test_many_small(void **state)
{
	enum { N = 6000 };
	unsigned char **ptrs = calloc(N, sizeof(*ptrs));
	unsigned char *big = NULL;
	struct arena a;
	size_t i;

	(void)state;
	assert_non_null(ptrs);
	arena_init(&a, 4u << 20);
	for (i = 0; i < N; i++) {
		size_t n = 1 + i % 40;

		if (i == N / 2) {
			big = arena_alloc(&a, 3 * 8192);
			assert_non_null(big);
			memset(big, 0xEE, 3 * 8192);
		}
		ptrs[i] = arena_alloc(&a, n);
		assert_non_null(ptrs[i]);
		assert_int_equal((uintptr_t)ptrs[i] % ALIGN, 0);
		assert_true(all_bytes(ptrs[i], n, 0));
		memset(ptrs[i], (int)(i % 251) + 1, n);
	}
	for (i = 0; i < N; i++)
		if (!all_bytes(ptrs[i], 1 + i % 40, (unsigned char)((i % 251) + 1)))
			fail_msg("piece %zu was overwritten", i);
	assert_true(all_bytes(big, 3 * 8192, 0xEE));
	assert_true(a.used >= (size_t)N * ALIGN);
	assert_true(a.used <= a.cap);
	arena_free(&a);
	free(ptrs);
}

/*
 * arena_rewind keeps the oldest 8 KiB block and nothing else: the next user
 * gets its first 8 KiB from that block, zeroed, with the cap counted from
 * zero again; an arena whose first block was an oversized one keeps nothing.
 */
static void test_rewind_keeps_first_block(void **state)
{
	struct arena a;
	unsigned char *first, *again, *p;
	int round;

	(void)state;
	arena_init(&a, 64 * 1024);
	first = arena_alloc(&a, 100);
	assert_non_null(first);
	for (round = 0; round < 3; round++) {
		memset(first, 0xAB, 100);
		p = arena_alloc(&a, 8100); /* does not fit the first block: a second one */
		assert_non_null(p);
		memset(p, 0xCD, 8100);
		assert_non_null(arena_alloc(&a, 20000)); /* an oversized third */
		arena_rewind(&a);
		assert_int_equal(a.used, 0);
		assert_non_null(a.head);
		again = arena_alloc(&a, 100);
		assert_ptr_equal(again, first); /* the kept block, from its start */
		assert_true(all_bytes(again, 100, 0));
	}
	/* the whole cap is available again after a rewind */
	arena_rewind(&a);
	p = arena_alloc(&a, 64 * 1024);
	assert_non_null(p);
	memset(p, 1, 64 * 1024);
	arena_rewind(&a);
	assert_ptr_equal(arena_alloc(&a, 16), first);
	arena_free(&a);

	arena_init(&a, 64 * 1024);
	assert_non_null(arena_alloc(&a, 20000)); /* an oversized first block is not kept */
	arena_rewind(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
	arena_rewind(&a); /* an empty arena stays empty */
	assert_null(a.head);
	assert_non_null(arena_alloc(&a, 16));
	arena_free(&a);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_zeroing_disjoint),
		cmocka_unit_test(test_zeroing_after_reuse),
		cmocka_unit_test(test_cap_total),
		cmocka_unit_test(test_cap_single),
		cmocka_unit_test(test_overflow_small_cap),
		cmocka_unit_test(test_overflow_uncapped),
		cmocka_unit_test(test_strndup_overflow),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_free_then_reuse),
		cmocka_unit_test(test_many_small),
		cmocka_unit_test(test_rewind_keeps_first_block),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
