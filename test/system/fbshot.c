/* Host check of a QEMU screendump against uhv's serial log (test/system/95-screen-console-*.sh).
 * The serial console is uhv's main console and gets every line the screen gets before the
 * guest is launched, so the screen must show the tail of the serial log from uhv's banner on,
 * as the text grid (lib/fbtext.c) lays it out. OCR-free:
 *
 *   fbshot pixels SHOT.ppm SERIAL.log EXPECTED.ppm
 *     a framebuffer of SHOT's size: the grid drawn with uhv's font (lib/fbrender.c) must equal
 *     the screendump pixel for pixel (ink or background); the drawing is kept in EXPECTED.ppm
 *   fbshot text SHOT.ppm SERIAL.log VGAMEM.bin
 *     VGA text mode 80x25, drawn by QEMU with the VGA font: each cell of the screendump has ink
 *     exactly where the grid has a character other than a space, and VGAMEM (0xB8000, read
 *     through the QEMU monitor) holds the grid's characters with uhv's attribute.
 * Exit 0 when they match, 1 when not (with the first differences), 2 on bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uhv/fbcon.h>

#define BANNER	"uhv microhypervisor - built"
#define INK	0x40	/* a pixel brighter than this in any colour is ink */

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;

	if (!f || fseek(f, 0, SEEK_END) || (long)(*len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc(*len + 1);
	if (!buf || fread(buf, 1, *len, f) != *len)
		return NULL;
	buf[*len] = 0;
	fclose(f);
	return buf;
}

/* P6 with maxval 255: pixels at *px, 3 bytes each. */
static int read_ppm(const char *path, unsigned *w, unsigned *h, unsigned char **px)
{
	size_t len;
	unsigned char *d = read_file(path, &len);
	int n = 0;

	if (!d || sscanf((char *)d, "P6 %u %u 255%n", w, h, &n) != 2 || !n ||
	    len < (size_t)n + 1 + (size_t)*w * *h * 3) {
		fprintf(stderr, "fbshot: %s is not a P6 PPM of 8-bit colours\n", path);
		return -1;
	}
	*px = d + n + 1;
	return 0;
}

/* The grid the screen should show: the serial log from the last banner on (uhv writes the
 * banner after a newline), carriage returns dropped as uart_write added them. */
static int model(const char *log, struct fbtext *t)
{
	size_t len;
	char *d = (char *)read_file(log, &len), *start = NULL;
	u16 x, y;

	for (char *p = d; p && (p = strstr(p, BANNER)); p++)
		start = p;
	if (!start) {
		fprintf(stderr, "fbshot: no '%s' line in %s\n", BANNER, log);
		return -1;
	}
	fbtext_put(t, '\n', &x, &y);
	for (char *p = start; p < d + len; p++)
		if (*p != '\r')
			fbtext_put(t, *p, &x, &y);
	return 0;
}

static int ink(const unsigned char *p)
{
	return p[0] > INK || p[1] > INK || p[2] > INK;
}

static int check_pixels(unsigned w, unsigned h, const unsigned char *px, const char *log,
			const char *out)
{
	static struct fbtext t;
	u32 *buf = calloc((size_t)w * h, 4);
	struct fb_surface s = { .base = (u8 *)buf, .pitch = w * 4, .width = w, .height = h,
				.bytes_pp = 4, .red_pos = 16, .red_size = 8, .green_pos = 8,
				.green_size = 8, .blue_pos = 0, .blue_size = 8 };
	unsigned long bad = 0, inked = 0;

	fbtext_init(&t, w / FONT_W, h / FONT_H, fbtext_scroll_step(true, h / FONT_H));
	if (model(log, &t) < 0)
		return 2;
	fb_draw_grid(&s, &t, fb_pack(&s, FBCON_FG_R, FBCON_FG_G, FBCON_FG_B), 0);
	FILE *f = fopen(out, "wb");
	fprintf(f, "P6\n%u %u\n255\n", w, h);
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++) {
			u32 v = buf[y * w + x];
			unsigned char e[3] = { v >> 16, v >> 8, v };
			const unsigned char *g = px + ((size_t)y * w + x) * 3;

			fwrite(e, 1, 3, f);
			inked += ink(g);
			if (ink(e) != ink(g) && bad++ < 5)
				fprintf(stderr, "fbshot: pixel (%u,%u) text cell (%u,%u) '%c': screen %s, "
					"expected %s\n", x, y, x / FONT_W, y / FONT_H,
					y / FONT_H < t.rows && x / FONT_W < t.cols ?
					t.cell[y / FONT_H][x / FONT_W] : ' ',
					ink(g) ? "ink" : "background", ink(e) ? "ink" : "background");
		}
	fclose(f);
	printf("fbshot: %ux%u screen, %ux%u characters, %lu ink pixels, %lu differ from the "
	       "rendering of the serial log\n", w, h, t.cols, t.rows, inked, bad);
	return bad || !inked ? 1 : 0;
}

static int check_text(unsigned w, unsigned h, const unsigned char *px, const char *log,
		      const char *vgamem)
{
	static struct fbtext t;
	size_t len;
	const unsigned char *mem = read_file(vgamem, &len);
	unsigned cw = w / 80, ch = h / 25;
	unsigned long bad = 0, inked = 0;

	fbtext_init(&t, 80, 25, 1);
	if (!mem || len < 80 * 25 * 2 || model(log, &t) < 0)
		return 2;
	for (unsigned r = 0; r < 25; r++)
		for (unsigned c = 0; c < 80; c++) {
			char want = t.cell[r][c];
			int any = 0;

			for (unsigned y = r * ch; y < (r + 1) * ch; y++)
				for (unsigned x = c * cw; x < (c + 1) * cw; x++)
					any |= ink(px + ((size_t)y * w + x) * 3);
			inked += any;
			if ((any != (want != ' ') || mem[(r * 80 + c) * 2] != (unsigned char)want ||
			     mem[(r * 80 + c) * 2 + 1] != EGA_ATTR) && bad++ < 5)
				fprintf(stderr, "fbshot: cell (%u,%u): expected '%c', text memory '%c' "
					"attribute %#x, screen %s\n", c, r, want, mem[(r * 80 + c) * 2],
					mem[(r * 80 + c) * 2 + 1], any ? "ink" : "blank");
		}
	printf("fbshot: 80x25 text screen (%ux%u pixels), %lu cells with ink, %lu differ from "
	       "the serial log\n", w, h, inked, bad);
	return bad || !inked ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned w, h;
	unsigned char *px;

	if (argc != 5 || read_ppm(argv[2], &w, &h, &px) < 0) {
		fprintf(stderr, "usage: fbshot pixels|text SHOT.ppm SERIAL.log EXPECTED.ppm|VGAMEM.bin\n");
		return 2;
	}
	if (!strcmp(argv[1], "pixels"))
		return check_pixels(w, h, px, argv[3], argv[4]);
	return check_text(w, h, px, argv[3], argv[4]);
}
