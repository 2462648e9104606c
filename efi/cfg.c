/* uhv.cfg: what uhv.efi boots. One directive per line ('#' starts a comment):
 *
 *   uhv    PATH [UHV COMMAND LINE]     the image (uhv.elf) and its command line,
 *                                      as GRUB's `multiboot2` line; exactly once
 *   module PATH [STRING]               a module, as GRUB's `module2` line: the first
 *                                      is the guest kernel and STRING its command line
 *
 * PATH is relative to the folder uhv.efi was started from, or absolute on that
 * volume when it starts with '/' or '\'. The same text may come as the load
 * options (efibootmgr --unicode), with ';' between the lines. Pure. */
#include "loader.h"
#include <uhv/format.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Copy [s, e) into dst (size n) without the surrounding blanks; false if it does not fit. */
static bool copy_trim(char *dst, size_t n, const char *s, const char *e)
{
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	if ((size_t)(e - s) >= n)
		return false;
	for (size_t i = 0; s + i < e; i++)
		dst[i] = s[i];
	dst[e - s] = 0;
	return true;
}

static const char *word_end(const char *s, const char *e)
{
	while (s < e && !is_space(*s))
		s++;
	return s;
}

static bool word_is(const char *s, const char *e, const char *w)
{
	while (s < e && *w && *s == *w)
		s++, w++;
	return s == e && !*w;
}

/* One directive, [s, e) without the comment. 0, or -1 with err filled. */
static int parse_line(const char *s, const char *e, unsigned no, struct efi_cfg *cfg,
		      bool *have_uhv, char *err, size_t errsz)
{
	while (s < e && is_space(*s))
		s++;
	if (s == e)
		return 0;
	const char *kw_end = word_end(s, e);
	struct cfg_file *f;
	if (word_is(s, kw_end, "uhv")) {
		if (*have_uhv) {
			ksnprintf(err, errsz, "line %u: a second 'uhv' line (there must be one)", no);
			return -1;
		}
		*have_uhv = true;
		f = &cfg->uhv;
	} else if (word_is(s, kw_end, "module")) {
		if (cfg->nr_modules >= CFG_MAX_MODULES) {
			ksnprintf(err, errsz, "line %u: more than %u 'module' lines", no,
				  CFG_MAX_MODULES);
			return -1;
		}
		f = &cfg->modules[cfg->nr_modules++];
	} else {
		int n = (int)MIN(kw_end - s, 40);
		ksnprintf(err, errsz, "line %u: unknown directive '%.*s' (expected 'uhv PATH "
			  "[OPTIONS]' or 'module PATH [STRING]')", no, n, s);
		return -1;
	}
	const char *p = kw_end;
	while (p < e && is_space(*p))
		p++;
	const char *p_end = word_end(p, e);
	if (p == p_end) {
		ksnprintf(err, errsz, "line %u: '%.*s' without a file name", no,
			  (int)(kw_end - s), s);
		return -1;
	}
	if (!copy_trim(f->path, sizeof(f->path), p, p_end)) {
		ksnprintf(err, errsz, "line %u: file name longer than %u characters", no,
			  CFG_PATH_MAX - 1);
		return -1;
	}
	if (!copy_trim(f->args, sizeof(f->args), p_end, e)) {
		ksnprintf(err, errsz, "line %u: command line longer than %u characters", no,
			  CFG_ARGS_MAX - 1);
		return -1;
	}
	return 0;
}

int cfg_parse(const char *text, size_t len, struct efi_cfg *cfg, char *err, size_t errsz)
{
	bool have_uhv = false;
	unsigned no = 1;
	const char *s = text, *end = text + len;

	__builtin_memset(cfg, 0, sizeof(*cfg));
	err[0] = 0;
	while (s < end) {
		const char *e = s, *stop;
		while (e < end && *e != '\n' && *e != '\r' && *e != ';')
			e++;
		stop = e;
		for (const char *c = s; c < e; c++) {
			if (*c == '#') {
				stop = c;
				break;
			}
			if ((u8)*c < 0x20 && *c != '\t') {
				ksnprintf(err, errsz, "line %u: control character 0x%02x: not a "
					  "text file", no, (u8)*c);
				return -1;
			}
		}
		if (parse_line(s, stop, no, cfg, &have_uhv, err, errsz) < 0)
			return -1;
		if (e < end && *e == '\r' && e + 1 < end && e[1] == '\n')
			e++;
		if (e < end && *e != ';')
			no++;
		s = e + 1;
	}
	if (!have_uhv) {
		ksnprintf(err, errsz, "no 'uhv PATH [OPTIONS]' line (it names uhv.elf and "
			  "uhv's command line)");
		return -1;
	}
	return 0;
}

size_t cfg_from_load_options(const u16 *opt, size_t bytes, char *out, size_t outsz)
{
	size_t n = 0, chars = bytes / 2;

	if (!opt || outsz == 0)
		return 0;
	while (chars > 0 && opt[chars - 1] == 0)
		chars--;
	for (size_t i = 0; i < chars; i++) {
		u16 c = opt[i];
		if ((c < 0x20 && c != '\t') || c > 0x7e || n + 1 >= outsz) {
			out[0] = 0;
			return 0;	/* binary data or too long: not a config */
		}
		out[n++] = (char)c;
	}
	out[n] = 0;
	/* the shell's "uhv.efi ARGS": drop the program's name */
	size_t w = 0;
	while (w < n && is_space(out[w]))
		w++;
	size_t we = w;
	while (we < n && !is_space(out[we]))
		we++;
	if (we - w >= 4) {
		const char *x = out + we - 4;
		if (x[0] == '.' && (x[1] | 0x20) == 'e' && (x[2] | 0x20) == 'f' &&
		    (x[3] | 0x20) == 'i') {
			size_t k = 0;
			for (size_t i = we; i <= n; i++)
				out[k++] = out[i];
			n = k - 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!is_space(out[i]))
			return n;
	out[0] = 0;
	return 0;
}
