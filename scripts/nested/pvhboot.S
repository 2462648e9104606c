/*
 * pvhboot: multiboot2 header and 32-bit entry of the nested tier's L1 loader
 * (see pvhboot.c). GRUB enters here in 32-bit protected mode, paging off,
 * EAX = multiboot2 magic, EBX = boot information.
 */
	.section .mb2hdr, "a"
	.balign 8
mb2_start:
	.long 0xe85250d6			/* magic */
	.long 0					/* i386 */
	.long mb2_end - mb2_start
	.long -(0xe85250d6 + 0 + (mb2_end - mb2_start))
	.balign 8
	.short 6, 0				/* module alignment: page aligned */
	.long 8
	.balign 8
	.short 0, 0				/* end */
	.long 8
mb2_end:

	.text
	.globl _start
_start:
	cli
	cld
	mov	$stack_top, %esp
	push	%ebx
	push	%eax
	call	pvhboot_main
1:	hlt
	jmp	1b

/* void enter_pvh(uint32_t entry, uint32_t start_info): never returns */
	.globl enter_pvh
enter_pvh:
	mov	4(%esp), %eax
	mov	8(%esp), %ebx
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%ebp, %ebp
	jmp	*%eax

	.bss
	.balign 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
