/* strata: the S3 gateway's single binary. */
#include <malloc.h>
#include <libxml/parser.h>

#include "cli.h"

int main(int argc, char **argv)
{
	int rc;

	/*
	 * glibc raises its mmap threshold after each large free, after which
	 * buffers of megabytes (the s3 backend's 5 MiB staging parts) come
	 * from per-thread heaps and their pages stay resident. A fixed
	 * threshold keeps such buffers mapped and returned whole on free.
	 */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	/* libxml2 before 2.11 must be initialised once, from the main thread. */
	xmlInitParser();
	rc = cli_main(argc, argv);
	xmlCleanupParser();
	return rc;
}
