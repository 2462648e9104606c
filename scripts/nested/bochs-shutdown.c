/*
 * Ends a Bochs run from inside Linux (the nested tier's L1): writes
 * "Shutdown" to Bochs' shutdown port 0x8900. With `panic: action=fatal` in
 * the bochsrc Bochs then quits (exit status 1, log: "Shutdown port: shutdown
 * requested"). Busybox has no port I/O applet, so this is built at test time
 * with `gcc -static` by scripts/nested/build-l1.sh and put into the L1
 * initramfs as /bin/bochs-shutdown. Outside Bochs the writes do nothing and
 * the program returns 1.
 */
#include <stdio.h>
#include <sys/io.h>
#include <unistd.h>

int main(void)
{
	static const char msg[] = "Shutdown";

	if (ioperm(0x8900, 1, 1) != 0) {
		perror("bochs-shutdown: ioperm(0x8900)");
		return 2;
	}
	for (const char *p = msg; *p; p++)
		outb((unsigned char)*p, 0x8900);
	/* still here: not Bochs, or Bochs without the shutdown port */
	sleep(1);
	fprintf(stderr, "bochs-shutdown: still running after the write to 0x8900\n");
	return 1;
}
