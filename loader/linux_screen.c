/* The screen for a Linux guest: boot_params.screen_info (zero-page.rst, offset 0; layout of
 * Linux's uapi screen_info.h) describes the framebuffer uhv was given, so efifb or
 * simplefb (sysfb) takes the GOP/VBE framebuffer, or vgacon the VGA text screen, after uhv
 * stopped writing to it (drivers/fbcon.c). Pure. */
#include <uhv/linux_boot.h>
#include <uhv/mb2.h>
#include <uhv/string.h>

/* screen_info offsets */
#define SI_ORIG_Y		0x01
#define SI_ORIG_VIDEO_MODE	0x06
#define SI_ORIG_VIDEO_COLS	0x07
#define SI_ORIG_VIDEO_EGA_BX	0x0a
#define SI_ORIG_VIDEO_LINES	0x0e
#define SI_ORIG_VIDEO_ISVGA	0x0f
#define SI_ORIG_VIDEO_POINTS	0x10
#define SI_LFB_WIDTH		0x12
#define SI_LFB_HEIGHT		0x14
#define SI_LFB_DEPTH		0x16
#define SI_LFB_BASE		0x18
#define SI_LFB_SIZE		0x1c
#define SI_LFB_LINELENGTH	0x24
#define SI_RED_SIZE		0x26	/* then red_pos, green size/pos, blue size/pos, rsvd size/pos */
#define SI_CAPABILITIES		0x36
#define SI_EXT_LFB_BASE		0x3a

#define VIDEO_TYPE_EFI		0x70	/* EFI graphics (efifb, or simplefb through sysfb) */
#define VIDEO_CAPABILITY_64BIT_BASE	BIT(1)	/* ext_lfb_base holds the top 32 bits */
#define VGA_TEXT_MODE		3	/* 80x25 colour */
#define VGA_FONT_HEIGHT		16

/* n bytes of v, little-endian */
static void put(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

bool linux_screen_info(u8 si[LINUX_SCREEN_INFO_LEN], const struct mb2_framebuffer *fb)
{
	memset(si, 0, LINUX_SCREEN_INFO_LEN);
	if (fb->type == MB2_FB_EGA_TEXT) {
		si[SI_ORIG_VIDEO_MODE] = VGA_TEXT_MODE;
		si[SI_ORIG_VIDEO_COLS] = (u8)fb->width;
		si[SI_ORIG_VIDEO_LINES] = (u8)fb->height;
		si[SI_ORIG_Y] = (u8)(fb->height - 1);	/* new text below uhv's log */
		si[SI_ORIG_VIDEO_ISVGA] = 1;		/* a VGA (vgacon then says VGA+) */
		put(si + SI_ORIG_VIDEO_EGA_BX, VGA_TEXT_MODE, 2);
		put(si + SI_ORIG_VIDEO_POINTS, VGA_FONT_HEIGHT, 2);
		return true;
	}
	if (fb->type != MB2_FB_RGB || fb->width > 0xffff || fb->height > 0xffff ||
	    fb->pitch > 0xffff)
		return false;
	u64 size = (u64)fb->pitch * fb->height;

	si[SI_ORIG_VIDEO_ISVGA] = VIDEO_TYPE_EFI;
	put(si + SI_LFB_WIDTH, fb->width, 2);
	put(si + SI_LFB_HEIGHT, fb->height, 2);
	put(si + SI_LFB_DEPTH, fb->bpp, 2);
	put(si + SI_LFB_BASE, (u32)fb->addr, 4);
	put(si + SI_LFB_SIZE, MIN(size, 0xffffffffULL), 4);	/* bytes for EFI */
	put(si + SI_LFB_LINELENGTH, fb->pitch, 2);
	si[SI_RED_SIZE] = fb->red_size;
	si[SI_RED_SIZE + 1] = fb->red_pos;
	si[SI_RED_SIZE + 2] = fb->green_size;
	si[SI_RED_SIZE + 3] = fb->green_pos;
	si[SI_RED_SIZE + 4] = fb->blue_size;
	si[SI_RED_SIZE + 5] = fb->blue_pos;
	if (fb->addr >> 32) {
		put(si + SI_EXT_LFB_BASE, fb->addr >> 32, 4);
		put(si + SI_CAPABILITIES, VIDEO_CAPABILITY_64BIT_BASE, 4);
	}
	return true;
}
