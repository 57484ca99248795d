/* hashjob: a hashset fed on a thread of its own (see hashjob.h). */
#include "hashjob.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* Hashing needs little stack; many uploads at once should not reserve 8 MiB each. */
#define HASHJOB_STACK (256u * 1024)

struct hashjob {
	struct hashset *hs;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled when a piece arrives, is done, or stop is set */
	const void *data;  /* the pending piece; NULL when none */
	size_t len;
	bool stop;
};

static void *run(void *arg)
{
	struct hashjob *j = arg;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->data && !j->stop)
			pthread_cond_wait(&j->cv, &j->mu);
		if (!j->data)
			break; /* stop, nothing pending */
		pthread_mutex_unlock(&j->mu);
		hashset_update(j->hs, j->data, j->len); /* the caller keeps off hs until done */
		pthread_mutex_lock(&j->mu);
		j->data = NULL;
		pthread_cond_broadcast(&j->cv);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

s3err_t hashjob_new(struct hashset *hs, struct hashjob **out)
{
	struct hashjob *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	bool attr_ok = false, mu_ok = false, cv_ok = false;

	if (!j)
		return S3E_InternalError;
	j->hs = hs;
	mu_ok = pthread_mutex_init(&j->mu, NULL) == 0;
	cv_ok = mu_ok && pthread_cond_init(&j->cv, NULL) == 0;
	attr_ok = cv_ok && pthread_attr_init(&attr) == 0;
	if (attr_ok && pthread_attr_setstacksize(&attr, HASHJOB_STACK) == 0 &&
	    pthread_create(&j->thread, &attr, run, j) == 0) {
		pthread_attr_destroy(&attr);
		*out = j;
		return S3E_OK;
	}
	if (attr_ok)
		pthread_attr_destroy(&attr);
	if (cv_ok)
		pthread_cond_destroy(&j->cv);
	if (mu_ok)
		pthread_mutex_destroy(&j->mu);
	free(j);
	return S3E_InternalError;
}

void hashjob_feed(struct hashjob *j, const void *data, size_t len)
{
	static const char none[1];

	pthread_mutex_lock(&j->mu);
	j->data = len ? data : none; /* non-NULL: an empty piece is still a piece */
	j->len = len;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

void hashjob_wait(struct hashjob *j)
{
	pthread_mutex_lock(&j->mu);
	while (j->data)
		pthread_cond_wait(&j->cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
}

void hashjob_free(struct hashjob *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	while (j->data)
		pthread_cond_wait(&j->cv, &j->mu);
	j->stop = true;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}
