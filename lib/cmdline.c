/* Kernel command line tokenizer and value helpers (pure, host-tested). */
#define LOG_MODULE "cmdline"
#include <uhv/cmdline.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>
#include <uhv/string.h>

#define FIX_IT "fix the kernel command line (the multiboot2 line in grub.cfg)"

struct token {
	const char *text;	/* whole token, for messages */
	size_t len;
	const char *key;
	size_t klen;
	const char *val;	/* NULL for a flag; quotes stripped */
	size_t vlen;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 and the next token in t, 0 at the end, -EINVAL for an unterminated
 * quote (*pp then points at the opening quote). */
static int next_token(const char **pp, struct token *t)
{
	const char *p = *pp, *eq = NULL, *open = NULL;

	while (is_blank(*p))
		p++;
	if (!*p) {
		*pp = p;
		return 0;
	}
	t->text = p;
	for (; *p && (open || !is_blank(*p)); p++) {
		if (*p == '"')
			open = open ? NULL : p;
		else if (*p == '=' && !open && !eq)
			eq = p;
	}
	if (open) {
		*pp = open;
		return -EINVAL;
	}
	*pp = p;
	t->len = (size_t)(p - t->text);
	t->key = t->text;
	if (!eq) {
		t->klen = t->len;
		t->val = NULL;
		t->vlen = 0;
		return 1;
	}
	t->klen = (size_t)(eq - t->text);
	t->val = eq + 1;
	t->vlen = (size_t)(p - t->val);
	if (t->vlen >= 2 && t->val[0] == '"' && t->val[t->vlen - 1] == '"') {
		t->val++;
		t->vlen -= 2;
	}
	return 1;
}

static bool has_char(const char *s, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == c)
			return true;
	return false;
}

static const struct cmdline_opt *find_opt(const struct token *t, const struct cmdline_opt *opts,
					  size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].key) == t->klen && !strncmp(opts[i].key, t->key, t->klen))
			return &opts[i];
	return NULL;
}

static void warn_unknown(const struct token *t, const struct cmdline_opt *opts, size_t n)
{
	char known[256];
	size_t used = 0;

	known[0] = 0;
	for (size_t i = 0; i < n && used < sizeof(known) - 1; i++) {
		int k = ksnprintf(known + used, sizeof(known) - used, "%s%s", i ? " " : "",
				  opts[i].key);
		if (k > 0)
			used = MIN(used + (size_t)k, sizeof(known) - 1);
	}
	pr_warn("unknown option '%.*s' ignored; known options: %s\n", (int)t->len, t->text, known);
}

int cmdline_parse(const char *s, const struct cmdline_opt *opts, size_t n, void *ctx)
{
	struct token t;
	const char *p;
	int ret, errors = 0;

	if (!s)
		return 0;
	/* Check the structure first so that a broken line sets nothing. */
	for (p = s; (ret = next_token(&p, &t)) > 0;)
		;
	if (ret < 0) {
		pr_err("unterminated '\"' at offset %zu of the command line '%s'; " FIX_IT "\n",
		       (size_t)(p - s), s);
		return ret;
	}

	bool first = true;
	for (p = s; next_token(&p, &t) > 0; first = false) {
		if (first && !t.val && has_char(t.text, t.len, '/')) {
			pr_debug("skipping the image path '%.*s'\n", (int)t.len, t.text);
			continue;
		}
		const struct cmdline_opt *o = find_opt(&t, opts, n);
		if (!o) {
			warn_unknown(&t, opts, n);
			continue;
		}
		if (o->set(ctx, t.val, t.vlen) == 0)
			continue;
		errors++;
		if (!t.val)
			pr_err("option '%s' needs a value, ignored; %s: %s\n", o->key, o->key,
			       o->help);
		else
			pr_err("bad value '%.*s' for option '%s', ignored; %s: %s\n", (int)t.vlen,
			       t.val, o->key, o->key, o->help);
	}
	return errors;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool cmdline_val_is(const char *val, size_t len, const char *word)
{
	if (!val || strlen(word) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (lower(val[i]) != lower(word[i]))
			return false;
	return true;
}

static int digit_value(char c)
{
	c = lower(c);
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 99;
}

static int parse_base(const char *s, size_t len, unsigned base, u64 *out)
{
	u64 v = 0;

	if (!s || len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = digit_value(s[i]);
		if (d >= (int)base)
			return -EINVAL;
		if (v > (~0ULL - (u64)d) / base)
			return -ERANGE;
		v = v * base + (u64)d;
	}
	*out = v;
	return 0;
}

int cmdline_parse_u64(const char *val, size_t len, u64 *out)
{
	if (val && len > 2 && val[0] == '0' && lower(val[1]) == 'x')
		return parse_base(val + 2, len - 2, 16, out);
	return parse_base(val, len, 10, out);
}

int cmdline_parse_hex(const char *val, size_t len, u64 max, u64 *out)
{
	u64 v;
	int ret = parse_base(val, len, 16, &v);

	if (ret)
		return ret;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cmdline_parse_size(const char *val, size_t len, u64 *out)
{
	unsigned shift = 0;
	u64 v;

	if (!val || len == 0)
		return -EINVAL;
	switch (lower(val[len - 1])) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	}
	if (shift)
		len--;
	int ret = parse_base(val, len, 10, &v);
	if (ret)
		return ret;
	if (v > (~0ULL >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int cmdline_parse_bool(const char *val, size_t len, bool *out)
{
	if (!val || cmdline_val_is(val, len, "on") || cmdline_val_is(val, len, "yes") ||
	    cmdline_val_is(val, len, "true") || cmdline_val_is(val, len, "1")) {
		*out = true;
		return 0;
	}
	if (cmdline_val_is(val, len, "off") || cmdline_val_is(val, len, "no") ||
	    cmdline_val_is(val, len, "false") || cmdline_val_is(val, len, "0")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}
