/* TSC calibration against PIT channel 2 (the speaker gate of port 0x61), for guests that
 * time hardware waits: a one-shot (mode 0) count of CAL_MS; OUT2 goes high when it ends. */
#include "rt.h"

#define PIT_CH2		0x42
#define PIT_MODE	0x43
#define PORT_B		0x61	/* bit 0 gate 2, bit 1 speaker, bit 5 OUT2 */
#define PIT_HZ		1193182
#define CAL_MS		50

u32 pit_tsc_per_ms(void)
{
	u32 count = PIT_HZ * CAL_MS / 1000;

	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
	outb(PIT_MODE, 0xb0);		/* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	u64 t0 = rdtsc();
	for (u32 i = 0; i < 100000000; i++)
		if (inb(PORT_B) & 0x20)
			return (u32)udiv64(rdtsc() - t0, CAL_MS, NULL);
	return 0;	/* channel 2 never counted down */
}
