// UNIT-SOURCES: lib/fbtext.c lib/fbrender.c lib/font8x8.c arch/options.c arch/console_option.c lib/cmdline.c loader/linux_screen.c
/* The screen console's pure parts: the text grid (wrap, scroll, control bytes), drawing glyphs
 * into memory in 32/24/16 bpp, the font, the framebuffer checks, console=...,fb, and the Linux
 * screen_info uhv fills for the guest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/fbcon.h>
#include <uhv/mb2.h>
#include <uhv/options.h>
#include <uhv/linux_boot.h>
#include "log_capture.h"

static struct fbtext T;

static void put_str(struct fbtext *t, const char *s, int *scrolls)
{
	u16 x, y;

	for (; *s; s++)
		if (fbtext_put(t, *s, &x, &y) == FBTEXT_SCROLL && scrolls)
			(*scrolls)++;
}

/* Row r of the grid as a string without trailing spaces. */
static const char *row(const struct fbtext *t, unsigned r)
{
	static char buf[FBTEXT_MAX_COLS + 1];
	unsigned n = t->cols;

	memcpy(buf, t->cell[r], n);
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
	return buf;
}

static void test_text_lines_and_wrap(void **state)
{
	u16 x, y;

	fbtext_init(&T, 10, 4, 1);
	assert_int_equal(fbtext_put(&T, 'a', &x, &y), FBTEXT_CELL);
	assert_int_equal(x, 0);
	assert_int_equal(y, 0);
	put_str(&T, "bc\r\nline two is long\n", NULL);
	assert_string_equal(row(&T, 0), "abc");
	assert_string_equal(row(&T, 1), "line two i");	/* wrapped at 10 columns */
	assert_string_equal(row(&T, 2), "s long");
	assert_int_equal(T.y, 3);
	assert_int_equal(T.x, 0);

	/* a line of exactly the width does not leave an empty row behind */
	fbtext_init(&T, 4, 4, 1);
	put_str(&T, "abcd\nef\n", NULL);
	assert_string_equal(row(&T, 0), "abcd");
	assert_string_equal(row(&T, 1), "ef");

	/* tab stops every 8; control and non-ASCII bytes as '?' */
	fbtext_init(&T, 20, 2, 1);
	put_str(&T, "a\tb\x01\x80", NULL);
	assert_string_equal(row(&T, 0), "a       b??");
}

static void test_text_scroll(void **state)
{
	int scrolls = 0;

	fbtext_init(&T, 8, 3, 1);
	put_str(&T, "1\n2\n3\n4\n", &scrolls);
	assert_int_equal(scrolls, 2);	/* after "3" and after "4" */
	assert_string_equal(row(&T, 0), "3");
	assert_string_equal(row(&T, 1), "4");
	assert_string_equal(row(&T, 2), "");

	/* a pixel screen scrolls half of its rows at once */
	assert_int_equal(fbtext_scroll_step(true, 37), 18);
	assert_int_equal(fbtext_scroll_step(false, 25), 1);
	fbtext_init(&T, 8, 6, fbtext_scroll_step(true, 6));
	scrolls = 0;
	put_str(&T, "a\nb\nc\nd\ne\nf\ng", &scrolls);
	assert_int_equal(scrolls, 1);
	assert_string_equal(row(&T, 0), "d");
	assert_string_equal(row(&T, 2), "f");
	assert_string_equal(row(&T, 3), "g");
	assert_string_equal(row(&T, 4), "");

	/* sizes clamp to the grid's storage */
	fbtext_init(&T, 100000, 100000, 100000);
	assert_int_equal(T.cols, FBTEXT_MAX_COLS);
	assert_int_equal(T.rows, FBTEXT_MAX_ROWS);
	assert_int_equal(T.step, FBTEXT_MAX_ROWS);
}

static void test_font(void **state)
{
	/* every printable glyph but the space has ink, and no two are the same */
	for (int c = FONT_FIRST; c <= FONT_LAST; c++) {
		unsigned ink = 0;

		for (int y = 0; y < 8; y++)
			ink |= font8x8[c - FONT_FIRST][y];
		assert_true(c == ' ' ? ink == 0 : ink != 0);
		assert_int_equal(ink & 0x81, 0);	/* columns 0 and 7 stay free: spacing */
		for (int d = FONT_FIRST; d < c; d++)
			assert_memory_not_equal(font8x8[c - FONT_FIRST], font8x8[d - FONT_FIRST], 8);
	}
	/* rows drawn twice; out-of-range bytes drawn as '?' */
	for (u32 y = 0; y < FONT_H; y++) {
		assert_int_equal(font_row('A', y), font8x8['A' - FONT_FIRST][y / 2]);
		assert_int_equal(font_row('\x7f', y), font_row('?', y));
	}
}

static const struct mb2_framebuffer GOP32 = {
	.addr = 0x80000000ULL, .pitch = 64 * 4, .width = 64, .height = 32, .bpp = 32,
	.type = MB2_FB_RGB, .red_pos = 16, .red_size = 8, .green_pos = 8, .green_size = 8,
	.blue_pos = 0, .blue_size = 8,
};

/* Cell (col,row) of a surface holds glyph c: each pixel fg where the font has ink, else bg. */
static void assert_cell(const struct fb_surface *s, u32 col, u32 row, char c, u32 fg, u32 bg)
{
	for (u32 y = 0; y < FONT_H; y++)
		for (u32 x = 0; x < FONT_W; x++) {
			const volatile u8 *p = s->base + (row * FONT_H + y) * s->pitch +
					       (col * FONT_W + x) * s->bytes_pp;
			u32 v = p[0] | (s->bytes_pp > 1 ? p[1] << 8 : 0) |
				(s->bytes_pp > 2 ? p[2] << 16 : 0) |
				(s->bytes_pp > 3 ? (u32)p[3] << 24 : 0);

			assert_int_equal(v, font_row(c, y) & (0x80 >> x) ? fg : bg);
		}
}

static void test_draw_depths(void **state)
{
	static u8 mem[64 * 4 * 32];
	struct mb2_framebuffer fb = GOP32;
	struct fb_surface s;
	const char *why;

	assert_true(fb_surface_from_mb2(&s, &fb, mem, &why));
	u32 fg = fb_pack(&s, 0xc0, 0xc0, 0xc0);
	assert_int_equal(fg, 0xc0c0c0);
	memset(mem, 0x55, sizeof(mem));
	fb_draw_cell(&s, 1, 1, 'W', fg, 0);
	assert_cell(&s, 1, 1, 'W', fg, 0);
	assert_int_equal(mem[0], 0x55);			/* other cells untouched */
	fb_draw_cell(&s, 8, 0, 'x', fg, 0);		/* past the right edge: nothing */
	fb_draw_cell(&s, 0, 2, 'x', fg, 0);		/* past the bottom */
	assert_int_equal(mem[sizeof(mem) - 1], 0x55);

	/* 24 bpp: three bytes a pixel, the pitch may have padding */
	fb.bpp = 24;
	fb.pitch = 64 * 3 + 8;
	assert_true(fb_surface_from_mb2(&s, &fb, mem, &why));
	fb_fill(&s, 0);
	fb_draw_cell(&s, 2, 0, 'g', fg, 0);
	assert_cell(&s, 2, 0, 'g', fg, 0);

	/* 16 bpp RGB 5:6:5: the top bits of each colour */
	fb = (struct mb2_framebuffer){ .pitch = 128, .width = 64, .height = 32, .bpp = 16,
		.type = MB2_FB_RGB, .red_pos = 11, .red_size = 5, .green_pos = 5, .green_size = 6,
		.blue_pos = 0, .blue_size = 5 };
	assert_true(fb_surface_from_mb2(&s, &fb, mem, &why));
	assert_int_equal(fb_pack(&s, 0xff, 0, 0), 0xf800);
	assert_int_equal(fb_pack(&s, 0, 0xff, 0), 0x07e0);
	fg = fb_pack(&s, 0xc0, 0xc0, 0xc0);
	fb_draw_cell(&s, 0, 0, '@', fg, 0x1234);
	assert_cell(&s, 0, 0, '@', fg, 0x1234);
}

/* Framebuffers uhv does not draw on, each with the reason it gives. */
static void test_surface_refused(void **state)
{
	static const struct { u8 type, bpp, red_pos; u32 pitch, height; const char *why; } bad[] = {
		{ MB2_FB_INDEXED, 32, 16, 256, 32, "not a direct-colour framebuffer" },
		{ MB2_FB_RGB, 8, 16, 256, 32, "a depth other than 16, 24 or 32 bits per pixel" },
		{ MB2_FB_RGB, 32, 30, 256, 32, "colour fields outside the pixel" },
		{ MB2_FB_RGB, 32, 16, 100, 32, "a line pitch shorter than a line of pixels" },
		{ MB2_FB_RGB, 32, 16, 256, 8, "smaller than one character" },
	};
	struct fb_surface s;
	const char *why;

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mb2_framebuffer fb = GOP32;

		fb.type = bad[i].type;
		fb.bpp = bad[i].bpp;
		fb.red_pos = bad[i].red_pos;
		fb.pitch = bad[i].pitch;
		fb.height = bad[i].height;
		assert_false(fb_surface_from_mb2(&s, &fb, NULL, &why));
		assert_string_equal(why, bad[i].why);
	}
}

static void test_ega(void **state)
{
	static u8 mem[80 * 25 * 2];

	fbtext_init(&T, 80, 25, 1);
	put_str(&T, "uhv: hello\n", NULL);
	ega_draw_grid(mem, 160, &T);
	assert_int_equal(mem[0], 'u');
	assert_int_equal(mem[1], EGA_ATTR);
	assert_int_equal(mem[2 * 9], 'o');
	assert_int_equal(mem[2 * 10], ' ');
	assert_int_equal(mem[160], ' ');
	assert_int_equal(mem[sizeof(mem) - 1], EGA_ATTR);
}

static void test_console_option(void **state)
{
	struct uhv_options o;

	assert_int_equal(options_parse(NULL, &o), 0);
	assert_true(o.console_screen);		/* default: serial and screen */
	assert_int_equal(options_parse("console=ttyS0", &o), 0);
	assert_false(o.console_screen);		/* a console= names what is wanted */
	assert_int_equal(options_parse("console=ttyS0,fb", &o), 0);
	assert_true(o.console_screen);
	assert_int_equal(o.console_port, 0x3f8);
	assert_int_equal(o.console_baud, 115200);
	assert_int_equal(options_parse("console=ttyS1,9600,fb", &o), 0);
	assert_true(o.console_screen);
	assert_int_equal(o.console_port, 0x2f8);
	assert_int_equal(o.console_baud, 9600);
	assert_int_equal(options_parse("console=com2,vga", &o), 0);
	assert_true(o.console_screen);
	assert_int_equal(o.console_port, 0x2f8);
	assert_int_equal(options_parse("console=ttyS1,9600", &o), 0);
	assert_false(o.console_screen);
	assert_int_equal(o.console_baud, 9600);
	/* the screen alone: the serial console keeps its default */
	assert_int_equal(options_parse("console=fb", &o), 0);
	assert_true(o.console_screen);
	assert_int_equal(o.console_port, 0x3f8);
	/* bad values are refused whole: the defaults stay */
	log_capture_reset();
	assert_int_equal(options_parse("console=ttyS9,fb", &o), 1);
	assert_true(o.console_screen);
	assert_int_equal(o.console_port, 0x3f8);
	assert_int_equal(options_parse("console=ttyS1,fbx", &o), 1);
	assert_int_equal(options_parse("console=,fb", &o), 0);	/* empty serial part: screen only */
	assert_int_equal(options_parse("console=ttyS1,115200,fb,fb", &o), 1);
}

static void test_screen_info(void **state)
{
	u8 si[LINUX_SCREEN_INFO_LEN];
	struct mb2_framebuffer fb = GOP32;

	fb.width = 1024;
	fb.height = 768;
	fb.pitch = 4096;
	assert_true(linux_screen_info(si, &fb));
	assert_int_equal(si[0x0f], 0x70);			/* VIDEO_TYPE_EFI */
	assert_int_equal(si[0x12] | si[0x13] << 8, 1024);	/* lfb_width */
	assert_int_equal(si[0x14] | si[0x15] << 8, 768);	/* lfb_height */
	assert_int_equal(si[0x16], 32);				/* lfb_depth */
	assert_int_equal(si[0x18] | si[0x19] << 8 | si[0x1a] << 16 | (u32)si[0x1b] << 24,
			 0x80000000u);				/* lfb_base */
	assert_int_equal(si[0x1c] | si[0x1d] << 8 | si[0x1e] << 16 | (u32)si[0x1f] << 24,
			 4096 * 768);				/* lfb_size in bytes */
	assert_int_equal(si[0x24] | si[0x25] << 8, 4096);	/* lfb_linelength */
	assert_memory_equal(si + 0x26, ((u8[]){ 8, 16, 8, 8, 8, 0 }), 6);	/* size, pos */
	assert_int_equal(si[0x36], 0);				/* capabilities */
	assert_int_equal(si[0x3a], 0);				/* ext_lfb_base */

	/* above 4 GiB: the top half in ext_lfb_base, VIDEO_CAPABILITY_64BIT_BASE */
	fb.addr = 0x4000000000ULL + 0x1000000;
	assert_true(linux_screen_info(si, &fb));
	assert_int_equal(si[0x18] | si[0x19] << 8 | si[0x1a] << 16 | (u32)si[0x1b] << 24,
			 0x1000000);
	assert_int_equal(si[0x3a], 0x40);
	assert_int_equal(si[0x36], 2);

	/* VGA text for vgacon */
	fb = (struct mb2_framebuffer){ .addr = 0xb8000, .pitch = 160, .width = 80, .height = 25,
				       .bpp = 16, .type = MB2_FB_EGA_TEXT };
	assert_true(linux_screen_info(si, &fb));
	assert_int_equal(si[0x06], 3);		/* orig_video_mode */
	assert_int_equal(si[0x07], 80);		/* orig_video_cols */
	assert_int_equal(si[0x0e], 25);		/* orig_video_lines */
	assert_int_equal(si[0x0f], 1);		/* orig_video_isVGA */
	assert_int_equal(si[0x10], 16);		/* orig_video_points */

	fb.type = MB2_FB_INDEXED;
	memset(si, 0xaa, sizeof(si));
	assert_false(linux_screen_info(si, &fb));
	assert_int_equal(si[0x0f], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_lines_and_wrap),
		cmocka_unit_test(test_text_scroll),
		cmocka_unit_test(test_font),
		cmocka_unit_test(test_draw_depths),
		cmocka_unit_test(test_surface_refused),
		cmocka_unit_test(test_ega),
		cmocka_unit_test(test_console_option),
		cmocka_unit_test(test_screen_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
