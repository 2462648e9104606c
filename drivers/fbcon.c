/* The screen console (see <uhv/fbcon.h>): uhv's log drawn on the boot loader's framebuffer or
 * on the VGA text screen, from the first line until the guest is launched. lib/log.c hands it
 * every line it writes to the serial console, under the console lock; lines logged before the
 * framebuffer is known (the banner) wait in a small buffer and are drawn when it is.
 *
 * Mapping: the boot page tables map the first 4 GiB at DMAP_BASE, so a framebuffer below 4 GiB
 * is drawn on at once; uhv's own page tables (kmem_init) map only RAM, so fbcon_remap maps the
 * framebuffer in them, uncached, as all MMIO (mmio_map). A framebuffer above 4 GiB waits for
 * that. Drawing through an uncached mapping is slow on real hardware: the grid scrolls half a
 * screen at a time (fbtext_scroll_step). */
#define LOG_MODULE "fbcon"
#include <uhv/fbcon.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/mb2.h>
#include <uhv/mmio.h>
#include <uhv/io.h>

#define VGA_TEXT_BASE	0xb8000		/* colour text mode, 80x25, 2 bytes a cell */
#define VGA_TEXT_COLS	80
#define VGA_TEXT_ROWS	25
#define EARLY_MAX	4096
#define VGA_CRTC_INDEX	0x3d4		/* colour CRTC index/data ports */
#define VGA_CRTC_DATA	0x3d5
#define CRTC_CURSOR_START 0x0a		/* bit 5: cursor off */
#define CURSOR_OFF	0x20

enum fbcon_state {
	FBCON_EARLY,		/* before fbcon_init: text is kept */
	FBCON_WAIT_MAP,		/* framebuffer above 4 GiB: kept until fbcon_remap */
	FBCON_ON,		/* drawing */
	FBCON_OFF,		/* no screen, console= without ,fb, or stopped for the guest */
};

static struct {
	enum fbcon_state state;
	bool pixels;			/* direct colour (surf) rather than EGA text (ega) */
	bool busy;			/* in fbcon_write: a fault in it must not recurse */
	bool have_fb;			/* fb describes the screen (for the guest) */
	struct mb2_framebuffer fb;
	struct fb_surface surf;
	volatile u8 *ega;
	u32 fg, bg;
	size_t early_len;
	char early[EARLY_MAX];
} con;

static struct fbtext text;

static u64 fb_bytes(void)
{
	return (u64)con.fb.pitch * con.fb.height;
}

static void draw_all(void)
{
	if (con.pixels)
		fb_draw_grid(&con.surf, &text, con.fg, con.bg);
	else
		ega_draw_grid(con.ega, con.fb.pitch, &text);
}

static void put(char c)
{
	u16 x, y;

	switch (fbtext_put(&text, c, &x, &y)) {
	case FBTEXT_CELL:
		if (con.pixels)
			fb_draw_cell(&con.surf, x, y, c, con.fg, con.bg);
		else
			ega_draw_cell(con.ega, con.fb.pitch, x, y, text.cell[y][x]);
		break;
	case FBTEXT_SCROLL:
		draw_all();
		break;
	default:
		break;
	}
}

/* Point the drawing at va and draw what was kept. */
static void start(volatile u8 *va)
{
	if (con.pixels)
		con.surf.base = va;
	else
		con.ega = va;
	for (size_t i = 0; i < con.early_len; i++)
		fbtext_put(&text, con.early[i], &(u16){ 0 }, &(u16){ 0 });
	con.early_len = 0;
	if (con.pixels) {
		fb_fill(&con.surf, con.bg);
	} else {
		/* the loader's blinking cursor would sit in the middle of the log */
		outb(VGA_CRTC_INDEX, CRTC_CURSOR_START);
		outb(VGA_CRTC_DATA, CURSOR_OFF);
	}
	draw_all();
	con.state = FBCON_ON;
}

/* Which screen: the boot loader's framebuffer, or under BIOS without one the VGA text screen. */
static const char *choose(const struct mb2_framebuffer *fb, bool bios)
{
	const char *why = NULL;

	if (fb) {
		con.fb = *fb;
	} else if (bios) {
		con.fb = (struct mb2_framebuffer){ .addr = VGA_TEXT_BASE, .pitch = VGA_TEXT_COLS * 2,
			.width = VGA_TEXT_COLS, .height = VGA_TEXT_ROWS, .bpp = 16,
			.type = MB2_FB_EGA_TEXT };
	} else {
		return "the boot loader gave no framebuffer";
	}
	con.have_fb = con.fb.type == MB2_FB_RGB || con.fb.type == MB2_FB_EGA_TEXT;
	con.pixels = con.fb.type == MB2_FB_RGB;
	if (con.pixels && fb_surface_from_mb2(&con.surf, &con.fb, NULL, &why)) {
		con.fg = fb_pack(&con.surf, FBCON_FG_R, FBCON_FG_G, FBCON_FG_B);
		con.bg = fb_pack(&con.surf, 0, 0, 0);
		fbtext_init(&text, con.fb.width / FONT_W, con.fb.height / FONT_H,
			    fbtext_scroll_step(true, con.fb.height / FONT_H));
		return NULL;
	}
	if (con.pixels) {
		con.have_fb = false;
		return why;
	}
	if (con.fb.type != MB2_FB_EGA_TEXT)
		return "an indexed-colour framebuffer";
	if (!con.fb.width || !con.fb.height || con.fb.pitch < con.fb.width * 2)
		return "a text screen of bad geometry";
	fbtext_init(&text, con.fb.width, con.fb.height, 1);
	return NULL;
}

void fbcon_init(const struct mb2_framebuffer *fb, bool bios, bool on)
{
	const char *why = choose(fb, bios);

	if (why || !on) {
		con.state = FBCON_OFF;
		if (why && fb)
			pr_info("no screen console: %s (type %u, %ux%u, %u bpp)\n", why, fb->type,
				fb->width, fb->height, fb->bpp);
		else if (why)
			pr_info("no screen console: %s\n", why);
		else if (!on)
			pr_info("screen console off (console= without ,fb)\n");
		return;
	}
	if (con.pixels)
		pr_info("screen console: %ux%u %u bpp framebuffer at %#llx, %ux%u characters\n",
			con.fb.width, con.fb.height, con.fb.bpp, con.fb.addr, text.cols, text.rows);
	else
		pr_info("screen console: %ux%u text screen at %#llx\n", text.cols, text.rows,
			con.fb.addr);
	if (con.fb.addr + fb_bytes() > GiB(4)) {
		con.state = FBCON_WAIT_MAP;	/* not in the boot page tables */
		return;
	}
	start(phys_to_virt(con.fb.addr));
}

void fbcon_remap(void)
{
	if (con.state != FBCON_ON && con.state != FBCON_WAIT_MAP)
		return;
	if (kmem_is_hypervisor(con.fb.addr, fb_bytes())) {
		con.state = FBCON_OFF;
		con.have_fb = false;	/* nor is it the guest's */
		pr_warn("the framebuffer the boot loader named (%#llx, %llu KiB) overlaps uhv's own "
			"memory: screen console off; the loader's framebuffer tag is wrong\n",
			con.fb.addr, fb_bytes() >> 10);
		return;
	}
	volatile u8 *va = mmio_map(con.fb.addr, fb_bytes());

	if (!va) {
		con.state = FBCON_OFF;
		pr_warn("cannot map the framebuffer at %#llx (%llu KiB): screen console off\n",
			con.fb.addr, fb_bytes() >> 10);
		return;
	}
	if (con.state == FBCON_WAIT_MAP)
		start(va);
	else if (con.pixels)
		con.surf.base = va;
	else
		con.ega = va;
}

void fbcon_write(const char *s, size_t len)
{
	if (con.busy) {
		con.state = FBCON_OFF;	/* a fault while drawing: the report goes to the serial */
		return;
	}
	con.busy = true;
	if (con.state == FBCON_EARLY || con.state == FBCON_WAIT_MAP) {
		for (size_t i = 0; i < len && con.early_len < EARLY_MAX; i++)
			con.early[con.early_len++] = s[i];
	} else if (con.state == FBCON_ON) {
		for (size_t i = 0; i < len; i++)
			put(s[i]);
	}
	con.busy = false;
}

void fbcon_stop(void)
{
	if (con.state == FBCON_ON)
		pr_info("the guest gets the screen now; uhv's log goes on on the serial console\n");
	con.state = FBCON_OFF;
}

const struct mb2_framebuffer *fbcon_framebuffer(void)
{
	return con.have_fb ? &con.fb : NULL;
}
