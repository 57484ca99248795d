/*
 * cli: the `strata` command line. Subcommands:
 *   strata serve           run the S3 server (--check-config: only check the config)
 *   strata user add|list|remove
 *   strata presign         print a presigned URL
 *   strata --version, strata --help, and --help on each subcommand
 * Exit codes: 0 success, 1 failure at run time, 2 usage error.
 */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

/* Runs the command line; returns the process exit code. */
int cli_main(int argc, char **argv);

#endif
