; mmu guest: the ring-3 excursion (enter / return), the #PF and INT3 stubs,
; and the page of user-mode code snippets (position independent: the page is
; mapped for ring 3 at another address than where it was linked).
bits 32

KERNEL_DS	equ 0x10
USER_CS		equ 0x18 | 3
USER_DS		equ 0x20 | 3

section .text
; int user_enter(u32 eip, u32 esp, u32 eax, u32 ebx): run ring-3 code at eip
; with that stack and EAX/EBX; returns what user_return() is given.
global user_enter
user_enter:
	push ebp
	push ebx
	push esi
	push edi
	mov [saved_esp], esp
	mov ecx, [esp + 20]
	mov edx, [esp + 24]
	mov eax, [esp + 28]
	mov ebx, [esp + 32]
	push dword USER_DS
	push edx
	pushfd
	and dword [esp], ~(1 << 18)	; AC=0
	push dword USER_CS
	push ecx
	mov si, USER_DS
	mov ds, si
	mov es, si
	mov fs, si
	mov gs, si
	iretd

; void user_return(int code): from a handler that interrupted ring 3, back to
; user_enter's caller (the handler's ring-0 stack is abandoned).
global user_return
user_return:
	mov eax, [esp + 4]
	mov esp, [saved_esp]
	mov cx, KERNEL_DS
	mov ds, cx
	mov es, cx
	mov fs, cx
	mov gs, cx
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; #PF (error code pushed by the CPU) and INT3 (none): the same frame as the
; runtime's exception stubs, then mmu_trap(frame).
extern mmu_trap
global mmu_pf_stub, mmu_bp_stub
mmu_pf_stub:
	push dword 14
	jmp mmu_common
mmu_bp_stub:
	push dword 0
	push dword 3
mmu_common:
	pushad			; DS/ES stay: the user ones are flat too, and
	push esp		; an IRET to ring 3 would null ring-0 ones
	call mmu_trap
	add esp, 4
	popad
	add esp, 8
	iretd

; Kernel probes: one instruction that may fault; mmu_trap resumes at the
; address in probe_fixup with EAX = ~0 untouched. Returns EAX.
extern probe_fixup
global probe_read, probe_write, probe_call
probe_read:			; u32 probe_read(u32 addr)
	mov edx, [esp + 4]
	mov eax, 0xdeadbeef
	mov dword [probe_fixup], .out
	mov eax, [edx]
.out:	mov dword [probe_fixup], 0
	ret
probe_write:			; void probe_write(u32 addr, u32 val)
	mov edx, [esp + 4]
	mov eax, [esp + 8]
	mov dword [probe_fixup], .out
	mov [edx], eax
.out:	mov dword [probe_fixup], 0
	ret
probe_call:			; void probe_call(u32 addr): call a RET somewhere
	mov edx, [esp + 4]
	mov dword [probe_fixup], .out
	call edx
.out:	mov dword [probe_fixup], 0
	ret

; The user page: each snippet ends with INT3, which returns to the kernel.
section .text.user progbits alloc exec nowrite align=4096
global user_page, u_read, u_write, u_call, u_ret
user_page:
u_read:	mov eax, [eax]
	int3
u_write:
	mov [eax], ebx
	int3
u_call:	call eax
	int3
u_ret:	ret
	times 4096 - ($ - user_page) db 0xcc

section .bss
alignb 4
saved_esp:	resd 1
