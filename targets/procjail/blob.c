/* procjail: the child program (child.c, built plain and static as procjail-child),
 * embedded in the target so a fuzz binary needs nothing beside it; sandbox.c writes it
 * out next to the scratch root and execs it from there. PJ_CHILD_BIN is its path, set
 * by CMakeLists.txt.
 */
#ifndef PJ_CHILD_BIN
#error "PJ_CHILD_BIN must name the procjail-child program"
#endif

__asm__(".section .rodata.procjail_child,\"a\",@progbits\n"
	".balign 16\n"
	".globl pj_child_blob\n"
	"pj_child_blob:\n"
	".incbin \"" PJ_CHILD_BIN "\"\n"
	".globl pj_child_blob_end\n"
	"pj_child_blob_end:\n"
	".previous\n");
