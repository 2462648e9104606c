/* The screen console's text grid (see <uhv/fbcon.h>): what the screen shows, as characters.
 * Pure: the driver draws what it reports changed, the host tests and the screendump check
 * (test/system/fbshot.c) run the same grid over the serial log. */
#include <uhv/fbcon.h>
#include <uhv/string.h>

#define TAB_WIDTH	8

void fbtext_init(struct fbtext *t, u32 cols, u32 rows, u32 step)
{
	t->cols = (u16)MIN(cols, (u32)FBTEXT_MAX_COLS);
	t->rows = (u16)MIN(rows, (u32)FBTEXT_MAX_ROWS);
	t->step = (u16)MAX(1u, MIN(step, (u32)t->rows));
	t->x = 0;
	t->y = 0;
	memset(t->cell, ' ', sizeof(t->cell));
}

u32 fbtext_scroll_step(bool pixels, u32 rows)
{
	return pixels && rows >= 4 ? rows / 2 : 1;
}

/* Move the cursor to the start of the next row; scroll when it leaves the grid. */
static enum fbtext_change newline(struct fbtext *t)
{
	t->x = 0;
	if (++t->y < t->rows)
		return FBTEXT_NONE;
	u16 keep = t->rows - t->step;

	for (u16 r = 0; r < keep; r++)
		memcpy(t->cell[r], t->cell[r + t->step], t->cols);
	for (u16 r = keep; r < t->rows; r++)
		memset(t->cell[r], ' ', t->cols);
	t->y = keep;
	return FBTEXT_SCROLL;
}

enum fbtext_change fbtext_put(struct fbtext *t, char c, u16 *cx, u16 *cy)
{
	enum fbtext_change ch = FBTEXT_NONE;

	if (!t->cols || !t->rows)
		return FBTEXT_NONE;
	if (c == '\n')
		return newline(t);
	if (c == '\r') {
		t->x = 0;
		return FBTEXT_NONE;
	}
	if (c == '\t') {
		/* spaces to the next stop, never past the row's end (the next text wraps) */
		t->x = (u16)MIN((u32)ALIGN_UP(t->x + 1u, TAB_WIDTH), (u32)t->cols);
		return FBTEXT_NONE;
	}
	if ((u8)c < FONT_FIRST || (u8)c > FONT_LAST)
		c = '?';
	if (t->x == t->cols)
		ch = newline(t);
	t->cell[t->y][t->x] = c;
	*cx = t->x++;
	*cy = t->y;
	return ch == FBTEXT_SCROLL ? FBTEXT_SCROLL : FBTEXT_CELL;
}
