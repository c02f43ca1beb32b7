// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of tsmctl's JSON writer.  TAP output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "tap.h"

/* Render with @fn into a string; caller frees. */
static char *render(void (*fn)(json_writer_t *), int pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer_t *w = jsonw_new(f);

	jsonw_pretty(w, pretty);
	fn(w);
	jsonw_destroy(&w);
	fclose(f);
	return buf;
}

static void nested(json_writer_t *w)
{
	jsonw_start_object(w);
	jsonw_uint_field(w, "tdi", 3);
	jsonw_string_field(w, "state", "RUN");
	jsonw_name(w, "bars");
	jsonw_start_array(w);
	jsonw_uint(w, 4096);
	jsonw_uint(w, 18446744073709551615ULL);
	jsonw_end_array(w);
	jsonw_name(w, "vm");
	jsonw_null(w);
	jsonw_bool_field(w, "dma", 0);
	jsonw_int_field(w, "err", -22);
	jsonw_name(w, "empty");
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_end_object(w);
}

static void escapes(json_writer_t *w)
{
	jsonw_start_array(w);
	jsonw_string(w, "a\"b\\c\nd\te\x01");
	jsonw_end_array(w);
}

int main(void)
{
	char *s;

	s = render(nested, 0);
	ok(!strcmp(s, "{\"tdi\":3,\"state\":\"RUN\",\"bars\":[4096,18446744073709551615],"
		      "\"vm\":null,\"dma\":false,\"err\":-22,\"empty\":{}}\n"),
	   "compact nested object");
	free(s);

	s = render(nested, 1);
	ok(strstr(s, "{\n    \"tdi\": 3,\n    \"state\": \"RUN\",") != NULL,
	   "pretty output indents members");
	ok(strstr(s, "\"empty\": {}\n}") != NULL, "pretty empty object");
	free(s);

	s = render(escapes, 0);
	ok(!strcmp(s, "[\"a\\\"b\\\\c\\nd\\te\\u0001\"]\n"), "string escaping");
	free(s);

	return tap_done();
}
