/* objlock: Object Lock documents (contracts in objlock.h). */
#include "objlock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "httptime.h"
#include "limits.h"
#include "strutil.h"
#include "xmldoc.h"
#include "xmlw.h"

#define DAY_MS 86400000LL

int objlock_mode_parse(const char *s)
{
	if (s && strcmp(s, "GOVERNANCE") == 0)
		return OBJLOCK_GOVERNANCE;
	if (s && strcmp(s, "COMPLIANCE") == 0)
		return OBJLOCK_COMPLIANCE;
	return OBJLOCK_NONE;
}

const char *objlock_mode_name(int mode)
{
	return mode == OBJLOCK_GOVERNANCE   ? "GOVERNANCE"
	       : mode == OBJLOCK_COMPLIANCE ? "COMPLIANCE"
					    : "";
}

bool objlock_parse_date(const char *s, int64_t *out_ms)
{
	time_t t;

	if (!httptime_parse_iso(s, &t) || t <= 0)
		return false;
	*out_ms = (int64_t)t * 1000;
	return true;
}

/*
 * A Days or Years leaf: AWS answers a number that is not a positive count
 * with InvalidRetentionPeriod, and text that is no number at all as
 * MalformedXML (the schema's type is an integer).
 */
static s3err_t leaf_period(const xmlNode *e, uint32_t max, uint32_t *out)
{
	char word[24];
	uint64_t v;
	s3err_t err = xmldoc_leaf_word(e, word, sizeof(word));

	if (err)
		return err;
	if (word[0] == '-' && parse_u64_str(word + 1, 0, UINT64_MAX, &v))
		return S3E_InvalidRetentionPeriod;
	if (!parse_u64_str(word, 0, UINT64_MAX, &v))
		return S3E_MalformedXML;
	if (v == 0 || v > max)
		return S3E_InvalidRetentionPeriod;
	*out = (uint32_t)v;
	return S3E_OK;
}

/* <DefaultRetention><Mode/><Days/>|<Years/></DefaultRetention> */
static s3err_t parse_default_retention(const xmlNode *e, struct objlock_cfg *cfg)
{
	char mode[16] = "";
	bool has_days = false, has_years = false;
	const xmlNode *c;
	s3err_t err = S3E_OK;

	for (c = e->children; c && !err; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Mode") && !mode[0])
			err = xmldoc_leaf_word(c, mode, sizeof(mode));
		else if (xmldoc_is_elem(c, "Days") && !has_days) {
			has_days = true;
			err = leaf_period(c, OBJLOCK_MAX_DAYS, &cfg->days);
		} else if (xmldoc_is_elem(c, "Years") && !has_years) {
			has_years = true;
			err = leaf_period(c, OBJLOCK_MAX_YEARS, &cfg->years);
		} else {
			err = S3E_MalformedXML;
		}
	}
	if (err)
		return err;
	cfg->mode = objlock_mode_parse(mode);
	/* Exactly one period and a known mode: AWS answers anything else MalformedXML. */
	if (cfg->mode == OBJLOCK_NONE || has_days == has_years)
		return S3E_MalformedXML;
	return S3E_OK;
}

s3err_t objlock_parse_config(const char *body, size_t len, struct objlock_cfg *out)
{
	struct objlock_cfg cfg = {0};
	char enabled[16] = "";
	bool has_rule = false;
	const xmlNode *root, *c, *d;
	xmlDocPtr doc = NULL;
	s3err_t err;

	err = xmldoc_parse_root(body, len, STRATA_MAX_SMALL_XML_BODY, "ObjectLockConfiguration",
				&doc, &root);
	for (c = err ? NULL : root->children; c && !err; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "ObjectLockEnabled") && !enabled[0]) {
			err = xmldoc_leaf_word(c, enabled, sizeof(enabled));
		} else if (xmldoc_is_elem(c, "Rule") && !has_rule) {
			has_rule = true;
			for (d = c->children; d && !err; d = d->next) {
				if (xmldoc_is_ignorable(d))
					continue;
				if (xmldoc_is_elem(d, "DefaultRetention") &&
				    cfg.mode == OBJLOCK_NONE)
					err = parse_default_retention(d, &cfg);
				else
					err = S3E_MalformedXML;
			}
			if (!err && cfg.mode == OBJLOCK_NONE)
				err = S3E_MalformedXML; /* a Rule without its DefaultRetention */
		} else {
			err = S3E_MalformedXML;
		}
	}
	/* Lock cannot be turned off once on: "Enabled" is the only value the schema has. */
	if (!err && strcmp(enabled, "Enabled") != 0)
		err = S3E_MalformedXML;
	if (!err)
		*out = cfg;
	xmlFreeDoc(doc);
	return err;
}

s3err_t objlock_render_config(struct buf *b, const struct objlock_cfg *cfg)
{
	s3err_t err;

	if ((err = xmlw_begin(b, "ObjectLockConfiguration")) ||
	    (err = xmlw_elem(b, "ObjectLockEnabled", "Enabled")))
		return err;
	if (cfg->mode != OBJLOCK_NONE &&
	    ((err = xmlw_open(b, "Rule")) || (err = xmlw_open(b, "DefaultRetention")) ||
	     (err = xmlw_elem(b, "Mode", objlock_mode_name(cfg->mode))) ||
	     (err = cfg->days ? xmlw_elem_u64(b, "Days", cfg->days)
			      : xmlw_elem_u64(b, "Years", cfg->years)) ||
	     (err = xmlw_close(b, "DefaultRetention")) || (err = xmlw_close(b, "Rule"))))
		return err;
	return xmlw_close(b, "ObjectLockConfiguration");
}

s3err_t objlock_cfg_encode(const struct objlock_cfg *cfg, char out[OBJLOCK_DOC_MAX])
{
	int n;

	if (cfg->mode == OBJLOCK_NONE)
		n = snprintf(out, OBJLOCK_DOC_MAX, "Enabled");
	else
		n = snprintf(out, OBJLOCK_DOC_MAX, "Enabled %s %c %u", objlock_mode_name(cfg->mode),
			     cfg->days ? 'D' : 'Y', (unsigned)(cfg->days ? cfg->days : cfg->years));
	return n > 0 && (size_t)n < OBJLOCK_DOC_MAX ? S3E_OK : S3E_InternalError;
}

s3err_t objlock_cfg_decode(const char *doc, size_t len, struct objlock_cfg *out)
{
	struct objlock_cfg cfg = {0};
	char s[OBJLOCK_DOC_MAX], *unit, *num;
	uint64_t v;

	if (len >= sizeof(s))
		return S3E_InternalError;
	memcpy(s, doc, len);
	s[len] = '\0';
	if (strcmp(s, "Enabled") == 0) {
		*out = cfg;
		return S3E_OK;
	}
	if (!str_starts(s, "Enabled "))
		return S3E_InternalError;
	unit = strchr(s + 8, ' ');
	if (!unit || (unit[1] != 'D' && unit[1] != 'Y') || unit[2] != ' ')
		return S3E_InternalError;
	*unit = '\0';
	num = unit + 3;
	cfg.mode = objlock_mode_parse(s + 8);
	if (cfg.mode == OBJLOCK_NONE ||
	    !parse_u64_str(num, 1, unit[1] == 'D' ? OBJLOCK_MAX_DAYS : OBJLOCK_MAX_YEARS, &v))
		return S3E_InternalError;
	if (unit[1] == 'D')
		cfg.days = (uint32_t)v;
	else
		cfg.years = (uint32_t)v;
	*out = cfg;
	return S3E_OK;
}

int64_t objlock_default_until(const struct objlock_cfg *cfg, int64_t now_ms)
{
	if (cfg->mode == OBJLOCK_NONE)
		return 0;
	/* AWS counts a year as 365 days for default retention. */
	return now_ms + (int64_t)(cfg->days ? cfg->days : cfg->years * 365u) * DAY_MS;
}

s3err_t objlock_parse_retention(const char *body, size_t len, int *mode, int64_t *until_ms)
{
	char mode_s[16] = "", date[48] = "";
	const xmlNode *root, *c;
	xmlDocPtr doc = NULL;
	int64_t until = 0;
	int m = OBJLOCK_NONE;
	s3err_t err;

	err = xmldoc_parse_root(body, len, STRATA_MAX_SMALL_XML_BODY, "Retention", &doc, &root);
	for (c = err ? NULL : root->children; c && !err; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Mode") && !mode_s[0])
			err = xmldoc_leaf_word(c, mode_s, sizeof(mode_s));
		else if (xmldoc_is_elem(c, "RetainUntilDate") && !date[0])
			err = xmldoc_leaf_word(c, date, sizeof(date));
		else
			err = S3E_MalformedXML;
	}
	if (!err && mode_s[0] && (m = objlock_mode_parse(mode_s)) == OBJLOCK_NONE)
		err = S3E_MalformedXML;
	if (!err && date[0] && !objlock_parse_date(date, &until))
		err = S3E_MalformedXML;
	if (!err && (m == OBJLOCK_NONE) != (until == 0))
		err = S3E_MalformedXML; /* both or neither */
	if (!err) {
		*mode = m;
		*until_ms = until;
	}
	xmlFreeDoc(doc);
	return err;
}

s3err_t objlock_render_retention(struct buf *b, int mode, int64_t until_ms)
{
	char date[25];
	s3err_t err;

	httptime_format_iso_ms(until_ms, date);
	if ((err = xmlw_begin(b, "Retention")) ||
	    (err = xmlw_elem(b, "Mode", objlock_mode_name(mode))) ||
	    (err = xmlw_elem(b, "RetainUntilDate", date)))
		return err;
	return xmlw_close(b, "Retention");
}

s3err_t objlock_parse_legal_hold(const char *body, size_t len, bool *on)
{
	char status[8] = "";
	const xmlNode *root, *c;
	xmlDocPtr doc = NULL;
	s3err_t err;

	err = xmldoc_parse_root(body, len, STRATA_MAX_SMALL_XML_BODY, "LegalHold", &doc, &root);
	for (c = err ? NULL : root->children; c && !err; c = c->next) {
		if (xmldoc_is_ignorable(c))
			continue;
		if (xmldoc_is_elem(c, "Status") && !status[0])
			err = xmldoc_leaf_word(c, status, sizeof(status));
		else
			err = S3E_MalformedXML;
	}
	if (!err && strcmp(status, "ON") != 0 && strcmp(status, "OFF") != 0)
		err = S3E_MalformedXML;
	if (!err)
		*on = strcmp(status, "ON") == 0;
	xmlFreeDoc(doc);
	return err;
}

s3err_t objlock_render_legal_hold(struct buf *b, bool on)
{
	s3err_t err;

	if ((err = xmlw_begin(b, "LegalHold")) || (err = xmlw_elem(b, "Status", on ? "ON" : "OFF")))
		return err;
	return xmlw_close(b, "LegalHold");
}
