/* kvsnprintf: the one formatter behind every console line. Pure C, no
 * hardware access, unit-tested on the host (test/unit/test_format.c). */
#include <uhv/format.h>

struct out {
	char *buf;
	size_t size;
	size_t len;	/* characters produced so far (may exceed size) */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec;	/* -1: none */
};

static void emit_number(struct out *o, u64 v, bool neg, unsigned base, bool upper,
			const struct spec *s)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	if (v == 0 && s->prec == 0)
		n = 0;
	else
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v);

	char sign = neg ? '-' : s->plus ? '+' : s->space ? ' ' : 0;
	const char *prefix = "";
	if (s->alt && base == 16 && n > 0)	/* also for 0: see format.h */
		prefix = upper ? "0X" : "0x";
	else if (s->alt && base == 8)
		prefix = "0";
	int plen = (int)__builtin_strlen(prefix);
	int zeros = s->prec > n ? s->prec - n : 0;
	int total = n + zeros + plen + (sign ? 1 : 0);
	int fill = s->width > total ? s->width - total : 0;

	if (!s->left && !(s->zero && s->prec < 0))
		pad(o, ' ', fill);
	if (sign)
		put(o, sign);
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	if (!s->left && s->zero && s->prec < 0)
		pad(o, '0', fill);
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (s->left)
		pad(o, ' ', fill);
}

static void emit_string(struct out *o, const char *str, const struct spec *s)
{
	if (!str)
		str = "(null)";
	int n = 0;
	while (str[n] && (s->prec < 0 || n < s->prec))
		n++;
	int fill = s->width > n ? s->width - n : 0;
	if (!s->left)
		pad(o, ' ', fill);
	for (int i = 0; i < n; i++)
		put(o, str[i]);
	if (s->left)
		pad(o, ' ', fill);
}

/* A NUL character still counts: it is written, and padded, like any other. */
static void emit_char(struct out *o, char c, struct spec *s)
{
	char ch[2] = { c, 0 };

	s->prec = -1;
	if (c == 0) {
		pad(o, ' ', s->left ? 0 : s->width - 1);
		put(o, 0);
		pad(o, ' ', s->left ? s->width - 1 : 0);
	} else {
		emit_string(o, ch, s);
	}
}

/* Length modifiers: -2 hh, -1 h, 0 int, 1 long, 2 long long / 64-bit (z, t, j) */
static s64 arg_signed(va_list *ap, int lng)
{
	s64 v;

	if (lng >= 1) v = (lng == 1) ? va_arg(*ap, long) : va_arg(*ap, long long);
	else v = va_arg(*ap, int);
	if (lng == -1) v = (short)v;
	if (lng <= -2) v = (signed char)v;
	return v;
}

static u64 arg_unsigned(va_list *ap, int lng)
{
	u64 v;

	if (lng >= 1) v = (lng == 1) ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned long long);
	else v = va_arg(*ap, unsigned int);
	if (lng == -1) v = (unsigned short)v;
	if (lng <= -2) v = (unsigned char)v;
	return v;
}

/* A digit string or '*' (an int argument); '*' answers through *star. */
static const char *parse_count(const char *fmt, va_list *ap, int *n, bool *star)
{
	*star = *fmt == '*';
	if (*star) {
		*n = va_arg(*ap, int);
		return fmt + 1;
	}
	while (*fmt >= '0' && *fmt <= '9')
		*n = *n * 10 + (*fmt++ - '0');
	return fmt;
}

/* Flags, width, precision and length of one conversion, fmt just past the '%'. Returns where
 * the conversion character is. */
static const char *parse_spec(const char *fmt, va_list *ap, struct spec *s, int *lng)
{
	bool star;

	for (;; fmt++) {
		if (*fmt == '-') s->left = true;
		else if (*fmt == '0') s->zero = true;
		else if (*fmt == '+') s->plus = true;
		else if (*fmt == ' ') s->space = true;
		else if (*fmt == '#') s->alt = true;
		else break;
	}
	fmt = parse_count(fmt, ap, &s->width, &star);
	if (star && s->width < 0) {	/* a negative '*' width is the '-' flag */
		s->left = true;
		s->width = -s->width;
	}
	if (*fmt == '.') {
		s->prec = 0;
		fmt = parse_count(fmt + 1, ap, &s->prec, &star);
		if (star && s->prec < 0)	/* a negative '*' precision is none */
			s->prec = -1;
	}
	*lng = 0;
	for (;; fmt++) {
		if (*fmt == 'h') --*lng;
		else if (*fmt == 'l') ++*lng;
		else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') *lng = 2;
		else break;
	}
	return fmt;
}

static void emit_conversion(struct out *o, char c, int lng, struct spec *s, va_list *ap)
{
	switch (c) {
	case 'd':
	case 'i': {
		s64 v = arg_signed(ap, lng);
		emit_number(o, v < 0 ? -(u64)v : (u64)v, v < 0, 10, false, s);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o': {
		u64 v = arg_unsigned(ap, lng);
		unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
		emit_number(o, v, false, base, c == 'X', s);
		break;
	}
	case 'p':
		s->alt = true;
		emit_number(o, (u64)(uintptr_t)va_arg(*ap, void *), false, 16, false, s);
		break;
	case 's':
		emit_string(o, va_arg(*ap, const char *), s);
		break;
	case 'c':
		emit_char(o, (char)va_arg(*ap, int), s);
		break;
	case '%':
		put(o, '%');
		break;
	default:	/* unknown conversion: print it verbatim */
		put(o, '%');
		put(o, c);
		break;
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list args;	/* a copy, because the helpers take it by address */

	va_copy(args, ap);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		struct spec s = { .prec = -1 };
		int lng;
		fmt = parse_spec(fmt + 1, &args, &s, &lng);
		if (!*fmt)
			break;
		emit_conversion(&o, *fmt, lng, &s, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
