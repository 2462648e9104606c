; Flat binary with a multiboot (v1) header that sets the a.out kludge flag
; (bit 16) but gives entry_addr 0: the loader must refuse it ("entry_addr is 0").
bits 32
org 0x100000
MAGIC	equ 0x1badb002
FLAGS	equ (1 << 16) | (1 << 1)
hdr:
	dd MAGIC, FLAGS, -(MAGIC + FLAGS)
	dd hdr		; header_addr
	dd 0x100000	; load_addr
	dd 0		; load_end_addr: whole file
	dd 0		; bss_end_addr: none
	dd 0		; entry_addr: missing
	cli
	hlt
	times 4096 - ($ - $$) db 0x90
