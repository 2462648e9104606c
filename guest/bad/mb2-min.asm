; Minimal multiboot2 kernel for the loader's negative tests: the header, then
; a halt loop. ARCH (default 0 = i386) lets a test give a wrong architecture.
%ifndef ARCH
%define ARCH 0
%endif
bits 32
section .text
align 8
hdr:
	dd 0xe85250d6, ARCH, hdr_end - hdr, -(0xe85250d6 + ARCH + (hdr_end - hdr))
	dw 0, 0
	dd 8
hdr_end:
global _start
_start:
	cli
	hlt
	jmp _start
