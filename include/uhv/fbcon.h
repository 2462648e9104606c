/* The screen console: uhv's log on the framebuffer the boot loader gave it (multiboot2 tag 8:
 * a GOP/VBE linear framebuffer in direct colour, or EGA/VGA text mode), until the guest is
 * launched; the serial console stays the main one (docs/architecture.md, "Screen console").
 *
 * Pure parts, host-tested (test/unit/test_fbcon.c):
 *   lib/fbtext.c    the text grid: characters, line wrap, scrolling
 *   lib/fbrender.c  drawing a cell of the grid into a pixel buffer with the built-in font
 *   lib/font8x8.c   the font: uhv's own 8x8 glyphs of printable ASCII, drawn 8x16
 * The driver (drivers/fbcon.c) maps the framebuffer and feeds the grid from lib/log.c. */
#ifndef UHV_FBCON_H
#define UHV_FBCON_H

#include <uhv/types.h>

struct mb2_framebuffer;

/* ---- the text grid (lib/fbtext.c) ---- */

#define FBTEXT_MAX_COLS		256	/* a 2048-pixel wide screen; wider ones use the left part */
#define FBTEXT_MAX_ROWS		128

struct fbtext {
	u16 cols, rows;
	u16 x, y;		/* where the next character goes; x == cols: wrap before it */
	u16 step;		/* rows to scroll at once when the bottom is passed */
	char cell[FBTEXT_MAX_ROWS][FBTEXT_MAX_COLS];	/* ' ' for empty */
};

/* What fbtext_put changed on the screen. */
enum fbtext_change {
	FBTEXT_NONE,		/* the cursor moved only */
	FBTEXT_CELL,		/* one cell: (*cx, *cy) */
	FBTEXT_SCROLL,		/* everything moved: redraw the whole grid */
};

/* An empty grid of cols x rows (clamped to the maximum) that scrolls step rows at a time. */
void fbtext_init(struct fbtext *t, u32 cols, u32 rows, u32 step);
/* One byte of log text: '\n' new line, '\r' column 0, '\t' to the next multiple of 8, other
 * control and non-ASCII bytes as '?'. A line longer than the grid wraps. */
enum fbtext_change fbtext_put(struct fbtext *t, char c, u16 *cx, u16 *cy);
/* How many rows a screen of `rows` scrolls at once: drawing a whole pixel screen through an
 * uncached mapping is slow on real hardware, so a pixel screen moves by half its height
 * (one redraw per rows/2 lines); a text-mode screen moves by one row. */
u32 fbtext_scroll_step(bool pixels, u32 rows);

/* ---- drawing (lib/fbrender.c, lib/font8x8.c) ---- */

#define FONT_W		8
#define FONT_H		16
#define FONT_FIRST	0x20	/* ' ' */
#define FONT_LAST	0x7e	/* '~' */

/* Glyph rows of printable ASCII as designed: 8 rows of 8 pixels, bit 7 leftmost. */
extern const u8 font8x8[FONT_LAST - FONT_FIRST + 1][8];
/* Pixel row y (0..FONT_H-1) of character c: each designed row drawn twice; '?' for bytes
 * outside printable ASCII. */
u8 font_row(char c, u32 y);

/* A direct-colour pixel buffer. */
struct fb_surface {
	volatile u8 *base;
	u32 pitch, width, height;	/* bytes per line; pixels */
	u8 bytes_pp;			/* 2, 3 or 4 */
	u8 red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

/* Colours uhv draws with: light grey on black. */
#define FBCON_FG_R	0xc0
#define FBCON_FG_G	0xc0
#define FBCON_FG_B	0xc0

/* Describe the tag's framebuffer as a surface at base; false (and *why set) when uhv cannot
 * draw on it: not direct colour, a depth other than 16/24/32, a colour field out of the pixel,
 * a pitch shorter than a line, or smaller than one character. */
bool fb_surface_from_mb2(struct fb_surface *s, const struct mb2_framebuffer *fb,
			 volatile void *base, const char **why);
/* A pixel value of the surface's format for an 8-bit-per-colour RGB. */
u32 fb_pack(const struct fb_surface *s, u8 r, u8 g, u8 b);
/* Draw character c at text cell (col, row) in fg on bg. */
void fb_draw_cell(const struct fb_surface *s, u32 col, u32 row, char c, u32 fg, u32 bg);
/* Every pixel in one colour (the first drawing: the margins right and below the grid too). */
void fb_fill(const struct fb_surface *s, u32 v);
/* Draw every cell of the grid (after a scroll, or the first time). */
void fb_draw_grid(const struct fb_surface *s, const struct fbtext *t, u32 fg, u32 bg);
/* The same for an EGA text screen (2 bytes a cell: character, attribute) of `pitch` bytes a row. */
#define EGA_ATTR	0x07	/* light grey on black */
void ega_draw_cell(volatile u8 *base, u32 pitch, u32 col, u32 row, char c);
void ega_draw_grid(volatile u8 *base, u32 pitch, const struct fbtext *t);

/* ---- the console (drivers/fbcon.c) ---- */

/* Is there a screen to write to? Takes the boot loader's framebuffer (fb NULL: none, then
 * under BIOS the VGA text screen at 0xB8000 when want_vga) and draws what was logged so far.
 * on = false (console= without ,fb) only says that the screen stays unused. */
void fbcon_init(const struct mb2_framebuffer *fb, bool bios, bool on);
/* uhv's page tables replace the boot ones (kmem_init): map the framebuffer in them. */
void fbcon_remap(void);
/* Log text (lib/log.c, under the console lock). Before fbcon_init it is kept (up to 4 KiB) and
 * drawn then. */
void fbcon_write(const char *s, size_t len);
/* The guest is about to be launched: it owns the screen from now on; uhv stops writing. */
void fbcon_stop(void);
/* The framebuffer uhv was given (NULL when none or not direct colour), for the guest's
 * boot information (loader/linux_screen.c). */
const struct mb2_framebuffer *fbcon_framebuffer(void);

#endif
