/* xml_fixture: the counting external-entity loader (see xml_fixture.h). */
#include "xml_fixture.h"

#include <libxml/parser.h>

static int external_loads;

static xmlParserInputPtr recording_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	external_loads++;
	return NULL;
}

int xml_fixture_setup(void **state)
{
	(void)state;
	xmlInitParser();
	xmlSetExternalEntityLoader(recording_loader);
	external_loads = 0;
	return 0;
}

int xml_fixture_external_loads(void)
{
	return external_loads;
}
