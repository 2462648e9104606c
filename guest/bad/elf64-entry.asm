; ELF-64 multiboot2 kernel whose entry point is a 64-bit address outside its
; segments (linked with -e 0x123456789): a multiboot guest starts in 32-bit
; mode, so the loader must refuse it.
bits 64
section .text
align 8
hdr:
	dd 0xe85250d6, 0, hdr_end - hdr, -(0xe85250d6 + (hdr_end - hdr))
	dw 0, 0
	dd 8
hdr_end:
	hlt
