/* strata: the S3 gateway's single binary. */
#include <libxml/parser.h>

#include "cli.h"

int main(int argc, char **argv)
{
	int rc;

	/* libxml2 before 2.11 must be initialised once, from the main thread. */
	xmlInitParser();
	rc = cli_main(argc, argv);
	xmlCleanupParser();
	return rc;
}
