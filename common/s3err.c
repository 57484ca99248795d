/* s3err: lookups into the error table generated from s3err.def. */
#include "s3err.h"

struct s3err_row {
	const char *code;
	unsigned status;
	const char *message;
};

static const struct s3err_row rows[S3E__COUNT] = {
    [S3E_OK] = {"OK", 200, "OK"},
#define S3ERR(c, s, m) [S3E_##c] = {#c, s, m},
#include "s3err.def"
#undef S3ERR
};

static const struct s3err_row *row(s3err_t e)
{
	if ((unsigned)e >= S3E__COUNT)
		e = S3E_InternalError;
	return &rows[e];
}

const char *s3err_code(s3err_t e)
{
	return row(e)->code;
}

unsigned s3err_status(s3err_t e)
{
	return row(e)->status;
}

const char *s3err_message(s3err_t e)
{
	return row(e)->message;
}
