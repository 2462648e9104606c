/* Drawing the screen console's text grid (see <uhv/fbcon.h>): into a direct-colour pixel
 * buffer with the built-in font, or into an EGA text screen. Pure: it writes only through the
 * pointer it is given, so the host tests draw into memory and compare. */
#include <uhv/fbcon.h>
#include <uhv/mb2.h>

bool fb_surface_from_mb2(struct fb_surface *s, const struct mb2_framebuffer *fb,
			 volatile void *base, const char **why)
{
	u32 bpp = fb->bpp;

	*why = NULL;
	if (fb->type != MB2_FB_RGB)
		*why = "not a direct-colour framebuffer";
	else if (bpp != 16 && bpp != 24 && bpp != 32)
		*why = "a depth other than 16, 24 or 32 bits per pixel";
	else if (fb->red_pos + fb->red_size > bpp || fb->green_pos + fb->green_size > bpp ||
		 fb->blue_pos + fb->blue_size > bpp || !fb->red_size || !fb->green_size ||
		 !fb->blue_size || fb->red_size > 8 || fb->green_size > 8 || fb->blue_size > 8)
		*why = "colour fields outside the pixel";
	else if ((u64)fb->width * (bpp / 8) > fb->pitch)
		*why = "a line pitch shorter than a line of pixels";
	else if (fb->width < FONT_W || fb->height < FONT_H)
		*why = "smaller than one character";
	if (*why)
		return false;
	*s = (struct fb_surface){
		.base = base, .pitch = fb->pitch, .width = fb->width, .height = fb->height,
		.bytes_pp = (u8)(bpp / 8),
		.red_pos = fb->red_pos, .red_size = fb->red_size,
		.green_pos = fb->green_pos, .green_size = fb->green_size,
		.blue_pos = fb->blue_pos, .blue_size = fb->blue_size,
	};
	return true;
}

/* The top `size` bits of an 8-bit colour, at `pos`. */
static u32 field(u8 v, u8 pos, u8 size)
{
	return ((u32)v >> (8 - size)) << pos;
}

u32 fb_pack(const struct fb_surface *s, u8 r, u8 g, u8 b)
{
	return field(r, s->red_pos, s->red_size) | field(g, s->green_pos, s->green_size) |
	       field(b, s->blue_pos, s->blue_size);
}

static void put_pixel(volatile u8 *p, u8 bytes_pp, u32 v)
{
	switch (bytes_pp) {
	case 4:
		*(volatile u32 *)p = v;
		break;
	case 3:
		p[0] = (u8)v;
		p[1] = (u8)(v >> 8);
		p[2] = (u8)(v >> 16);
		break;
	default:
		*(volatile u16 *)p = (u16)v;
		break;
	}
}

void fb_draw_cell(const struct fb_surface *s, u32 col, u32 row, char c, u32 fg, u32 bg)
{
	if ((col + 1) * FONT_W > s->width || (row + 1) * FONT_H > s->height)
		return;
	volatile u8 *line = s->base + (u64)row * FONT_H * s->pitch + (u64)col * FONT_W * s->bytes_pp;

	for (u32 y = 0; y < FONT_H; y++, line += s->pitch) {
		u8 bits = font_row(c, y);

		for (u32 x = 0; x < FONT_W; x++)
			put_pixel(line + x * s->bytes_pp, s->bytes_pp, bits & (0x80 >> x) ? fg : bg);
	}
}

void fb_fill(const struct fb_surface *s, u32 v)
{
	volatile u8 *line = s->base;

	for (u32 y = 0; y < s->height; y++, line += s->pitch)
		for (u32 x = 0; x < s->width; x++)
			put_pixel(line + x * s->bytes_pp, s->bytes_pp, v);
}

void fb_draw_grid(const struct fb_surface *s, const struct fbtext *t, u32 fg, u32 bg)
{
	for (u32 r = 0; r < t->rows; r++)
		for (u32 c = 0; c < t->cols; c++)
			fb_draw_cell(s, c, r, t->cell[r][c], fg, bg);
}

void ega_draw_cell(volatile u8 *base, u32 pitch, u32 col, u32 row, char c)
{
	volatile u8 *p = base + (u64)row * pitch + col * 2;

	p[0] = (u8)c;
	p[1] = EGA_ATTR;
}

void ega_draw_grid(volatile u8 *base, u32 pitch, const struct fbtext *t)
{
	for (u32 r = 0; r < t->rows; r++)
		for (u32 c = 0; c < t->cols; c++)
			ega_draw_cell(base, pitch, c, r, t->cell[r][c]);
}
