/*
 * console_assets: the console's static files, embedded at build time by
 * console/bin2c.c into the generated console_assets.c (so an installed
 * strata needs no data directory).
 */
#ifndef STRATA_CONSOLE_ASSETS_H
#define STRATA_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
	const char *name; /* file name under console/, e.g. "app.js" */
	const unsigned char *data;
	size_t len;
};

extern const struct console_asset console_assets[];
extern const size_t console_nassets;

#endif
