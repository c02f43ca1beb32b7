// SPDX-License-Identifier: GPL-2.0
/*
 * Settings of a policy: its `const volatile` globals in .rodata.
 *
 * Before load, "set NAME=VALUE" writes the value into the initial image of
 * the object's .rodata map (bpf_map__initial_value); the kernel freezes
 * the map at load and the verifier treats the value as a constant, as
 * with the options of sched_ext schedulers.  The object's BTF names the
 * settings: the DATASEC ".rodata" lists each VAR with its offset and size,
 * and the VAR's type says how a value is parsed (loader/names.c).  A
 * global is a setting when it is volatile (a plain const is folded into
 * the code by the compiler, so writing it would change nothing) and a
 * bool, an integer or an enum.
 *
 * After load, the settings in force are read back from the kernel: the
 * struct_ops map of an attached policy holds the ids of its programs in
 * its value, a program lists the maps it uses, among them the object's
 * .rodata map, and that map's BTF has the same DATASEC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "main.h"
#include "names.h"
#include "settings.h"

#define RODATA		".rodata"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct setting {
	const char *name;		/* points into the BTF */
	uint32_t offset;		/* in the .rodata image */
	struct setting_type type;
	struct setting_enumerator *enums;
};

struct settings {
	struct setting *v;
	uint32_t nr;
};

static void settings_free(struct settings *s)
{
	uint32_t i;

	for (i = 0; i < s->nr; i++)
		free(s->v[i].enums);
	free(s->v);
	s->v = NULL;
	s->nr = 0;
}

static uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(unsigned long)p;
}

static int setting_enums_get(const struct btf *btf, const struct btf_type *t,
			     struct setting *s)
{
	uint32_t i, n = btf_vlen(t);

	if (!n)
		return -ENOTSUP;
	s->enums = calloc(n, sizeof(*s->enums));
	if (!s->enums)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t) + i;

			s->enums[i].name = btf__name_by_offset(btf, e->name_off);
			s->enums[i].value = btf_kflag(t) ?
				(uint64_t)(int64_t)e->val : (uint32_t)e->val;
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;

			s->enums[i].name = btf__name_by_offset(btf, e->name_off);
			s->enums[i].value = btf_enum64_value(e);
		}
	}
	s->type.kind = SETTING_ENUM;
	s->type.is_signed = btf_kflag(t);
	s->type.enums = s->enums;
	s->type.nr_enums = n;
	return 0;
}

/*
 * The setting type of BTF type @id: a volatile bool, integer or enum,
 * through const, volatile and typedefs.  -ENOTSUP for anything else.
 */
static int setting_type_get(const struct btf *btf, uint32_t id,
			    struct setting *s)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	bool is_volatile = false;
	int err;

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		if (btf_is_volatile(t))
			is_volatile = true;
		t = btf__type_by_id(btf, t->type);
	}
	if (!t || !is_volatile)
		return -ENOTSUP;
	if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
		return -ENOTSUP;
	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);

		if (btf_int_offset(t) || btf_int_bits(t) != t->size * 8)
			return -ENOTSUP;
		s->type.kind = enc & BTF_INT_BOOL ? SETTING_BOOL : SETTING_INT;
		s->type.is_signed = enc & BTF_INT_SIGNED;
	} else if (btf_is_any_enum(t)) {
		err = setting_enums_get(btf, t, s);
		if (err)
			return err;
	} else {
		return -ENOTSUP;
	}
	s->type.size = t->size;
	return 0;
}

/* The settings the DATASEC .rodata of @btf declares, in its order. */
static int settings_from_btf(const struct btf *btf, struct settings *out)
{
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec, *var;
	struct setting s, *v;
	int id, i, err;

	memset(out, 0, sizeof(*out));
	id = btf__find_by_name_kind(btf, RODATA, BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	vsi = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vsi++) {
		var = btf__type_by_id(btf, vsi->type);
		/* statics are the policy's own business */
		if (!var || !btf_is_var(var) ||
		    btf_var(var)->linkage == BTF_VAR_STATIC)
			continue;
		memset(&s, 0, sizeof(s));
		err = setting_type_get(btf, var->type, &s);
		if (err == -ENOTSUP)
			continue;
		if (err)
			goto err_free;
		if (s.type.size != vsi->size) {
			free(s.enums);
			continue;
		}
		s.name = btf__name_by_offset(btf, var->name_off);
		s.offset = vsi->offset;
		v = realloc(out->v, (out->nr + 1) * sizeof(*v));
		if (!v) {
			free(s.enums);
			err = -ENOMEM;
			goto err_free;
		}
		out->v = v;
		out->v[out->nr++] = s;
	}
	return 0;

err_free:
	settings_free(out);
	return err;
}

static const struct setting *setting_find(const struct settings *s,
					  const char *name)
{
	uint32_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

/* "gate=default|strict|rebind, rebind_after_reset=true|false" */
static void settings_list(const struct settings *s, char *buf, size_t len)
{
	char values[512];
	size_t off = 0;
	uint32_t i;

	if (!s->nr) {
		snprintf(buf, len, "it has none");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < s->nr && off < len; i++) {
		setting_values_help(&s->v[i].type, values, sizeof(values));
		off += snprintf(buf + off, len - off, "%s%s=%s", i ? ", " : "",
				s->v[i].name, values);
	}
}

/* The section of the global variable @name, NULL if there is none. */
static const char *var_section(const struct btf *btf, const char *name)
{
	const struct btf_var_secinfo *vsi;
	const struct btf_type *t, *var;
	uint32_t id, n = btf__type_cnt(btf);
	int i;

	for (id = 1; id < n; id++) {
		t = btf__type_by_id(btf, id);
		if (!btf_is_datasec(t))
			continue;
		vsi = btf_var_secinfos(t);
		for (i = 0; i < btf_vlen(t); i++, vsi++) {
			var = btf__type_by_id(btf, vsi->type);
			if (var && btf_is_var(var) &&
			    !strcmp(btf__name_by_offset(btf, var->name_off), name))
				return btf__name_by_offset(btf, t->name_off);
		}
	}
	return NULL;
}

int settings_apply(struct bpf_object *obj, const char *file,
		   char * const *assigns, int nr)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct settings s = {};
	const struct setting *set;
	char list[1024], values[512], name[128];
	const char *value, *sec;
	struct bpf_map *map;
	uint8_t *data = NULL;
	size_t size = 0;
	uint64_t v;
	int i, j, err = 0;

	if (!nr)
		return 0;
	if (btf) {
		err = settings_from_btf(btf, &s);
		if (err) {
			p_err("reading the settings of %s: %s", file,
			      strerror(-err));
			return err;
		}
	}
	map = bpf_object__find_map_by_name(obj, RODATA);
	if (map)
		data = bpf_map__initial_value(map, &size);
	settings_list(&s, list, sizeof(list));

	for (i = 0; i < nr; i++) {
		value = strchr(assigns[i], '=');
		snprintf(name, sizeof(name), "%.*s",
			 (int)(value - assigns[i]), assigns[i]);
		value++;
		for (j = 0; j < i; j++) {
			if (!strncmp(assigns[j], assigns[i],
				     value - assigns[i])) {
				p_err("setting '%s' given twice", name);
				err = -EINVAL;
				goto out;
			}
		}
		set = setting_find(&s, name);
		if (!set) {
			sec = btf ? var_section(btf, name) : NULL;
			if (sec)
				p_err("'%s' of %s is a variable in %s, not a setting (a const volatile bool, integer or enum in .rodata); settings: %s",
				      name, file, sec, list);
			else
				p_err("%s has no setting '%s'; settings: %s",
				      file, name, list);
			err = -EINVAL;
			goto out;
		}
		err = setting_value_parse(&set->type, value, &v);
		if (err) {
			setting_values_help(&set->type, values, sizeof(values));
			p_err("bad value '%s' for setting '%s' of %s%s; valid: %s",
			      value, name, file,
			      err == -ERANGE ? " (out of range)" : "", values);
			err = -EINVAL;
			goto out;
		}
		if (!data || set->offset + set->type.size > size) {
			p_err("%s has no %s image to write '%s' into", file,
			      RODATA, name);
			err = -EINVAL;
			goto out;
		}
		setting_value_store(&set->type, data + set->offset, v);
		if (verbose) {
			setting_value_format(&set->type, v, values,
					     sizeof(values));
			p_info("setting %s=%s", name, values);
		}
	}
out:
	settings_free(&s);
	return err;
}

/*
 * Kernel BTF of a struct_ops type: vmlinux's, or a module's split BTF on
 * top of it (tsmbpf_ops lives in tsmbpf.ko), as the map reports in
 * btf_vmlinux_id.  Kept until settings_cleanup().
 */
static struct btf *vmlinux_btf, *module_btf;
static uint32_t module_btf_id;

static const struct btf *kernel_btf(uint32_t id)
{
	struct bpf_btf_info info = {};
	uint32_t len = sizeof(info);
	char name[64] = "";
	int fd, err;

	if (!vmlinux_btf) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (!vmlinux_btf)
			return NULL;
	}
	if (!id)
		return vmlinux_btf;
	if (module_btf && module_btf_id == id)
		return module_btf;
	fd = bpf_btf_get_fd_by_id(id);
	if (fd < 0)
		return NULL;
	info.name = ptr_to_u64(name);
	info.name_len = sizeof(name);
	err = bpf_btf_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return NULL;
	if (!strcmp(name, "vmlinux"))
		return vmlinux_btf;
	btf__free(module_btf);
	module_btf = btf__load_from_kernel_by_id_split(id, vmlinux_btf);
	module_btf_id = module_btf ? id : 0;
	return module_btf;
}

void settings_cleanup(void)
{
	btf__free(module_btf);
	module_btf = NULL;
	module_btf_id = 0;
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

/* libbpf names an object's .rodata map "<object>.rodata" in the kernel. */
static bool map_is_rodata(uint32_t id)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	size_t n;
	int fd;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return false;
	if (bpf_map_get_info_by_fd(fd, &info, &len))
		info.name[0] = '\0';
	close(fd);
	n = strlen(info.name);
	return info.type == BPF_MAP_TYPE_ARRAY && info.btf_id &&
	       n >= strlen(RODATA) &&
	       !strcmp(info.name + n - strlen(RODATA), RODATA);
}

static uint32_t prog_rodata_id(uint32_t prog_id)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), ids[64], i, nr, found = 0;
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return 0;
	info.nr_map_ids = ARRAY_SIZE(ids);
	info.map_ids = ptr_to_u64(ids);
	if (!bpf_prog_get_info_by_fd(fd, &info, &len)) {
		nr = info.nr_map_ids < ARRAY_SIZE(ids) ? info.nr_map_ids :
							  ARRAY_SIZE(ids);
		for (i = 0; i < nr && !found; i++)
			if (map_is_rodata(ids[i]))
				found = ids[i];
	}
	close(fd);
	return found;
}

/* Offset and type of the member @name of struct @t, -ENOENT if none. */
static int member_find(const struct btf *btf, const struct btf_type *t,
		       const char *name, uint32_t *off, uint32_t *type)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name)) {
			*off = btf_member_bit_offset(t, i) / 8;
			*type = m->type;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The value of a struct_ops map is struct bpf_struct_ops_<type> { common;
 * data; }, data being the struct tsmbpf_ops the policy filled in, with
 * the id of its program in each function pointer (the kernel writes it at
 * update).
 */
int attached_ops_get(uint32_t map_id, struct attached_ops *ao)
{
	const struct btf_type *vt, *st, *mt;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info), zero = 0, data_off, data_type, off;
	const struct btf *btf;
	const char *name;
	uint8_t *value = NULL;
	uint64_t prog_id;
	int fd, i, err = 0;

	memset(ao, 0, sizeof(*ao));
	ao->map_id = map_id;
	fd = bpf_map_get_fd_by_id(map_id);
	if (fd < 0)
		return -errno;
	if (bpf_map_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	btf = info.type == BPF_MAP_TYPE_STRUCT_OPS ?
	      kernel_btf(info.btf_vmlinux_id) : NULL;
	vt = btf ? btf__type_by_id(btf, info.btf_vmlinux_value_type_id) : NULL;
	if (!vt || !btf_is_struct(vt) ||
	    member_find(btf, vt, "data", &data_off, &data_type)) {
		err = -EINVAL;
		goto out;
	}
	st = btf__type_by_id(btf, btf__resolve_type(btf, data_type));
	value = calloc(1, info.value_size);
	if (!value) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, value)) {
		err = -errno;
		goto out;
	}
	for (i = 0; st && btf_is_struct(st) && i < btf_vlen(st); i++) {
		name = btf__name_by_offset(btf, btf_members(st)[i].name_off);
		off = data_off + btf_member_bit_offset(st, i) / 8;
		mt = btf__type_by_id(btf, btf__resolve_type(btf,
						btf_members(st)[i].type));
		if (!mt)
			continue;
		if (!strcmp(name, "name") &&
		    off + sizeof(ao->name) <= info.value_size) {
			memcpy(ao->name, value + off, sizeof(ao->name));
			ao->name[sizeof(ao->name) - 1] = '\0';
		} else if (!strcmp(name, "platforms") &&
			   off + sizeof(ao->platforms) <= info.value_size) {
			memcpy(&ao->platforms, value + off,
			       sizeof(ao->platforms));
		} else if (btf_is_ptr(mt) && !ao->rodata_id &&
			   off + sizeof(prog_id) <= info.value_size) {
			memcpy(&prog_id, value + off, sizeof(prog_id));
			if (prog_id)
				ao->rodata_id = prog_rodata_id(prog_id);
		}
	}
out:
	free(value);
	close(fd);
	return err;
}

/* A .rodata map as the kernel holds it: its BTF, settings and bytes. */
struct rodata_image {
	struct btf *btf;
	struct settings s;
	uint8_t *value;
	uint32_t size;
};

static void rodata_image_free(struct rodata_image *img)
{
	settings_free(&img->s);
	btf__free(img->btf);
	free(img->value);
	memset(img, 0, sizeof(*img));
}

static int rodata_image_read(uint32_t id, struct rodata_image *img)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info), zero = 0;
	const struct btf_type *t;
	int fd, err;

	memset(img, 0, sizeof(*img));
	if (!id)
		return -ENOENT;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_map_get_info_by_fd(fd, &info, &len) || !info.btf_id) {
		err = -EINVAL;
		goto out;
	}
	img->btf = btf__load_from_kernel_by_id(info.btf_id);
	t = img->btf ? btf__type_by_id(img->btf, info.btf_value_type_id) :
		       NULL;
	if (!t || !btf_is_datasec(t) ||
	    strcmp(btf__name_by_offset(img->btf, t->name_off), RODATA)) {
		err = -EINVAL;
		goto out;
	}
	err = settings_from_btf(img->btf, &img->s);
	if (err)
		goto out;
	img->size = info.value_size;
	img->value = calloc(1, info.value_size);
	if (!img->value) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, img->value))
		err = -errno;
out:
	close(fd);
	if (err)
		rodata_image_free(img);
	return err;
}

static bool setting_in_image(const struct rodata_image *img,
			     const struct setting *set)
{
	return set->offset + set->type.size <= img->size;
}

void settings_print_json(uint32_t rodata_id)
{
	struct rodata_image img;
	const struct setting *set;
	char buf[128];
	uint64_t v;
	uint32_t i;

	if (!rodata_id) {
		/* a policy without .rodata: no settings */
		jsonw_start_object(json_wtr);
		jsonw_end_object(json_wtr);
		return;
	}
	if (rodata_image_read(rodata_id, &img)) {
		jsonw_null(json_wtr);
		return;
	}
	jsonw_start_object(json_wtr);
	for (i = 0; i < img.s.nr; i++) {
		set = &img.s.v[i];
		if (!setting_in_image(&img, set))
			continue;
		v = setting_value_load(&set->type, img.value + set->offset);
		switch (set->type.kind) {
		case SETTING_BOOL:
			jsonw_bool_field(json_wtr, set->name, v);
			break;
		case SETTING_INT:
			if (set->type.is_signed)
				jsonw_int_field(json_wtr, set->name, v);
			else
				jsonw_uint_field(json_wtr, set->name, v);
			break;
		case SETTING_ENUM:
			setting_value_format(&set->type, v, buf, sizeof(buf));
			jsonw_string_field(json_wtr, set->name, buf);
			break;
		}
	}
	jsonw_end_object(json_wtr);
	rodata_image_free(&img);
}

void settings_format(uint32_t rodata_id, char *buf, size_t len)
{
	struct rodata_image img;
	const struct setting *set;
	char value[128];
	size_t off = 0;
	uint32_t i;

	if (!len)
		return;
	buf[0] = '\0';
	if (rodata_image_read(rodata_id, &img))
		return;
	for (i = 0; i < img.s.nr && off < len; i++) {
		set = &img.s.v[i];
		if (!setting_in_image(&img, set))
			continue;
		setting_value_format(&set->type,
				     setting_value_load(&set->type,
							img.value + set->offset),
				     value, sizeof(value));
		off += snprintf(buf + off, len - off, "%s%s=%s",
				off ? " " : "", set->name, value);
	}
	rodata_image_free(&img);
}
