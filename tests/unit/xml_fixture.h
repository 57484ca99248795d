/*
 * xml_fixture: what the XML parsers' unit tests (test_xmlin, test_lcrules)
 * share: a libxml2 external-entity loader that only counts, so a test can
 * assert that no XXE or external DTD was ever fetched.
 */
#ifndef STRATA_XML_FIXTURE_H
#define STRATA_XML_FIXTURE_H

/* cmocka setup: initialises libxml2, installs the counting loader, zeroes the count. */
int xml_fixture_setup(void **state);

/* Attempts libxml2 made to load an external resource since the last setup. */
int xml_fixture_external_loads(void);

#endif
