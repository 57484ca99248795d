/*
 * fuzz_config: the configuration file (config_load, then config_check), the
 * input written as the whole file. config_load reads a path, so the bytes
 * go into one memfd, created once, read back through /proc/self/fd/N.
 * Invariants: an error always has a message; a file that loads leaves
 * every text setting NUL-terminated within its array.
 */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include "../../common/config.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	char err[1024];
	unsigned i;

	if (memfd < 0) {
		memfd = memfd_create("strata.conf", 0);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	config_defaults(&c);
	err[0] = '\0';
	if (config_load(path, &c, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(c.nsites <= CONFIG_MAX_SITES);
	FUZZ_CHECK(c.nreplication_users <= CONFIG_MAX_REPLICATION_USERS);
	FUZZ_CHECK(strnlen(c.region, sizeof(c.region)) < sizeof(c.region));
	FUZZ_CHECK(strnlen(c.data_dir, sizeof(c.data_dir)) < sizeof(c.data_dir));
	FUZZ_CHECK(strnlen(c.s3_endpoint, sizeof(c.s3_endpoint)) < sizeof(c.s3_endpoint));
	for (i = 0; i < c.nsites; i++)
		FUZZ_CHECK(config_site_find(&c, c.sites[i].name) != NULL);
	err[0] = '\0';
	if (config_check(&c, err, sizeof(err)) != 0)
		FUZZ_CHECK(err[0] != '\0');
	return 0;
}
