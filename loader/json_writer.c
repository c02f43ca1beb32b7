// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal streaming JSON writer: objects, arrays, strings with escaping,
 * numbers and booleans; optional pretty printing.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "json_writer.h"

#define JSONW_MAX_DEPTH 32

struct json_writer {
	FILE *out;
	unsigned int depth;
	bool pretty;
	bool sep[JSONW_MAX_DEPTH];	/* a value was written at this depth */
	bool after_name;
};

json_writer_t *jsonw_new(FILE *f)
{
	json_writer_t *self = calloc(1, sizeof(*self));

	if (self)
		self->out = f;
	return self;
}

void jsonw_destroy(json_writer_t **self)
{
	if (!*self)
		return;
	fputc('\n', (*self)->out);
	fflush((*self)->out);
	free(*self);
	*self = NULL;
}

void jsonw_discard(json_writer_t **self)
{
	free(*self);
	*self = NULL;
}

void jsonw_pretty(json_writer_t *self, bool on)
{
	self->pretty = on;
}

static void jsonw_indent(json_writer_t *self)
{
	unsigned int i;

	if (!self->pretty)
		return;
	fputc('\n', self->out);
	for (i = 0; i < self->depth; i++)
		fputs("    ", self->out);
}

/* Separator and indentation before a value or a name. */
static void jsonw_eor(json_writer_t *self)
{
	if (self->after_name) {
		self->after_name = false;
		return;
	}
	if (self->sep[self->depth])
		fputc(',', self->out);
	if (self->depth)
		jsonw_indent(self);
	self->sep[self->depth] = true;
}

static void jsonw_puts(json_writer_t *self, const char *str)
{
	fputc('"', self->out);
	for (; *str; str++) {
		unsigned char c = *str;

		switch (c) {
		case '"':
			fputs("\\\"", self->out);
			break;
		case '\\':
			fputs("\\\\", self->out);
			break;
		case '\n':
			fputs("\\n", self->out);
			break;
		case '\t':
			fputs("\\t", self->out);
			break;
		case '\r':
			fputs("\\r", self->out);
			break;
		default:
			if (c < 0x20)
				fprintf(self->out, "\\u%04x", c);
			else
				fputc(c, self->out);
		}
	}
	fputc('"', self->out);
}

static void jsonw_open(json_writer_t *self, char c)
{
	jsonw_eor(self);
	fputc(c, self->out);
	if (self->depth + 1 < JSONW_MAX_DEPTH)
		self->depth++;
	self->sep[self->depth] = false;
}

static void jsonw_close(json_writer_t *self, char c)
{
	bool had = self->sep[self->depth];

	if (self->depth)
		self->depth--;
	if (had)
		jsonw_indent(self);
	fputc(c, self->out);
}

void jsonw_start_object(json_writer_t *self)
{
	jsonw_open(self, '{');
}

void jsonw_end_object(json_writer_t *self)
{
	jsonw_close(self, '}');
}

void jsonw_start_array(json_writer_t *self)
{
	jsonw_open(self, '[');
}

void jsonw_end_array(json_writer_t *self)
{
	jsonw_close(self, ']');
}

void jsonw_name(json_writer_t *self, const char *name)
{
	jsonw_eor(self);
	jsonw_puts(self, name);
	fputs(self->pretty ? ": " : ":", self->out);
	self->after_name = true;
}

void jsonw_string(json_writer_t *self, const char *value)
{
	jsonw_eor(self);
	jsonw_puts(self, value);
}

void jsonw_uint(json_writer_t *self, uint64_t value)
{
	jsonw_eor(self);
	fprintf(self->out, "%" PRIu64, value);
}

void jsonw_number(json_writer_t *self, const char *num)
{
	jsonw_eor(self);
	fputs(num, self->out);
}

void jsonw_int(json_writer_t *self, int64_t value)
{
	jsonw_eor(self);
	fprintf(self->out, "%" PRId64, value);
}

void jsonw_bool(json_writer_t *self, bool value)
{
	jsonw_eor(self);
	fputs(value ? "true" : "false", self->out);
}

void jsonw_null(json_writer_t *self)
{
	jsonw_eor(self);
	fputs("null", self->out);
}

void jsonw_string_field(json_writer_t *self, const char *name, const char *v)
{
	jsonw_name(self, name);
	jsonw_string(self, v);
}

void jsonw_uint_field(json_writer_t *self, const char *name, uint64_t v)
{
	jsonw_name(self, name);
	jsonw_uint(self, v);
}

void jsonw_int_field(json_writer_t *self, const char *name, int64_t v)
{
	jsonw_name(self, name);
	jsonw_int(self, v);
}

void jsonw_bool_field(json_writer_t *self, const char *name, bool v)
{
	jsonw_name(self, name);
	jsonw_bool(self, v);
}
