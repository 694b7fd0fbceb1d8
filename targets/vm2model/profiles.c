/* vm2model profiles: each profile's name, the nesting guard of the release it follows,
 * whether nested grants are bounded by the parent's, and which membrane defences are on
 * (see vm2model.h for what each defence and profile models).
 */
#include "vm2int.h"

const char *const vm2_profile_names[VM2_NPROFILES] = {
	[VM2_HARDENED] = "hardened",
	[VM2_3_11_0] = "vm2-3.11.0",
	[VM2_3_11_1] = "vm2-3.11.1",
	[VM2_3_11_4] = "vm2-3.11.4",
	[VM2_3_11_7] = "vm2-3.11.7",
	[VM2_P_CTOR] = "vm2-issue32-ctor-chain",
	[VM2_P_THROW] = "vm2-issue138-host-exception",
	[VM2_P_BRIDGE_THROW] = "vm2-issue174-bridge-throw",
	[VM2_P_DESC_PROTO] = "vm2-issue175-descriptor-get",
	[VM2_P_LOOKUP] = "vm2-issue184-lookup-getter",
	[VM2_P_CACHED_CALL] = "vm2-bridge-patched-call",
	[VM2_P_CONTAINER] = "vm2-GHSA-9qj6-array-setter",
	[VM2_P_SPECIES_ARRAY] = "vm2-GHSA-grj5-species",
	[VM2_P_SPECIES_PROMISE] = "vm2-GHSA-76w7-promise-species",
	[VM2_P_STACK] = "vm2-CVE-2022-36067-stack",
	[VM2_P_INSPECT] = "vm2-CVE-2023-37903-inspect",
	[VM2_P_THEN] = "vm2-GHSA-55hx-host-then",
	[VM2_P_INDIRECT] = "vm2-GHSA-647f-call-indirection",
	[VM2_P_ERROR_FIELDS] = "vm2-GHSA-m283-error-fields",
	[VM2_P_MEMO] = "vm2-GHSA-x965-sanitize-memo",
	[VM2_P_CATCH_SITES] = "vm2-GHSA-248r-catch-sites",
	[VM2_P_PROTECT] = "vm2-GHSA-vwrp-host-intrinsics",
	[VM2_P_RECEIVER] = "vm2-GHSA-c4cf-set-receiver",
	[VM2_P_BUILTINS] = "vm2-GHSA-947f-dangerous-builtins",
	[VM2_R_3_10_0] = "vm2-3.10.0-all",
	[VM2_R_3_11_1] = "vm2-3.11.1-all",
	[VM2_R_3_11_4] = "vm2-3.11.4-all",
	[VM2_R_3_11_7] = "vm2-3.11.7-all",
};

#define OFF(d) (D_ALL & ~(1u << (d)))
#define B(d) (1u << (d))

/* What each profile is: the nesting guard of a release, whether nested grants are
 * bounded by the parent's, and the membrane defences on. */
static const struct profile {
	uint8_t level;
	uint8_t clamp;
	uint32_t def;
} profiles[VM2_NPROFILES] = {
	[VM2_HARDENED] = { VM2_HARDENED, 1, D_ALL },
	/* the nesting releases model the nesting bugs only: every membrane defence on */
	[VM2_3_11_0] = { VM2_3_11_0, 0, D_ALL },
	[VM2_3_11_1] = { VM2_3_11_1, 0, D_ALL },
	[VM2_3_11_4] = { VM2_3_11_4, 0, D_ALL },
	[VM2_3_11_7] = { VM2_3_11_7, 0, D_ALL },
	/* one class each: hardened with one defence off */
	[VM2_P_CTOR] = { VM2_HARDENED, 1, OFF(D_CTOR) },
	[VM2_P_THROW] = { VM2_HARDENED, 1, OFF(D_THROW) },
	[VM2_P_BRIDGE_THROW] = { VM2_HARDENED, 1, OFF(D_BRIDGE_THROW) },
	[VM2_P_DESC_PROTO] = { VM2_HARDENED, 1, OFF(D_DESC_PROTO) },
	[VM2_P_LOOKUP] = { VM2_HARDENED, 1, OFF(D_LOOKUP) },
	[VM2_P_CACHED_CALL] = { VM2_HARDENED, 1, OFF(D_CACHED_CALL) },
	[VM2_P_CONTAINER] = { VM2_HARDENED, 1, OFF(D_CONTAINER) },
	[VM2_P_SPECIES_ARRAY] = { VM2_HARDENED, 1, OFF(D_SPECIES_ARRAY) },
	[VM2_P_SPECIES_PROMISE] = { VM2_HARDENED, 1, OFF(D_SPECIES_PROMISE) },
	[VM2_P_STACK] = { VM2_HARDENED, 1, OFF(D_STACK) },
	[VM2_P_INSPECT] = { VM2_HARDENED, 1, OFF(D_INSPECT) },
	[VM2_P_THEN] = { VM2_HARDENED, 1, OFF(D_THEN) },
	[VM2_P_INDIRECT] = { VM2_HARDENED, 1, OFF(D_INDIRECT) },
	[VM2_P_ERROR_FIELDS] = { VM2_HARDENED, 1, OFF(D_ERROR_FIELDS) },
	[VM2_P_MEMO] = { VM2_HARDENED, 1, OFF(D_MEMO) },
	[VM2_P_CATCH_SITES] = { VM2_HARDENED, 1, OFF(D_CATCH_SITES) },
	[VM2_P_PROTECT] = { VM2_HARDENED, 1, OFF(D_PROTECT) },
	[VM2_P_RECEIVER] = { VM2_HARDENED, 1, OFF(D_RECEIVER) },
	[VM2_P_BUILTINS] = { VM2_HARDENED, 1, OFF(D_BUILTINS) },
	/* Releases, from vm2's CHANGELOG (3.11.0-3.11.4) and the advisory IDs each release's
	 * lib/ cites: 3.11.0 fixed grj5, 55hx (host then), vwrp, 947f, 47x8/v37h
	 * (inspect.custom); 3.11.1 8hg8; 3.11.2 9qj6; 3.11.3 248r; 3.11.4 c4cf, 76w7, m4wx;
	 * 3.11.6 m283; 3.11.7 647f, 8hr7; 3.11.8 x965. Classes fixed before 3.10
	 * (issues #32 ... #224, CVE-2022-36067) stay on. */
	[VM2_R_3_10_0] = { VM2_3_11_0, 0,
			   D_ALL & ~(B(D_SPECIES_ARRAY) | B(D_INSPECT) | B(D_THEN) | B(D_PROTECT) |
				     B(D_CONTAINER) | B(D_CATCH_SITES) | B(D_RECEIVER) |
				     B(D_SPECIES_PROMISE) | B(D_BUILTINS) | B(D_ERROR_FIELDS) |
				     B(D_INDIRECT) | B(D_MEMO)) },
	[VM2_R_3_11_1] = { VM2_3_11_1, 0,
			   D_ALL & ~(B(D_CONTAINER) | B(D_CATCH_SITES) | B(D_RECEIVER) |
				     B(D_SPECIES_PROMISE) | B(D_ERROR_FIELDS) | B(D_INDIRECT) |
				     B(D_MEMO)) },
	[VM2_R_3_11_4] = { VM2_3_11_4, 0, D_ALL & ~(B(D_ERROR_FIELDS) | B(D_INDIRECT) | B(D_MEMO)) },
	[VM2_R_3_11_7] = { VM2_3_11_7, 0, D_ALL & ~B(D_MEMO) },
};

unsigned vm2_guard_level(unsigned profile)
{
	return profile < VM2_NPROFILES ? profiles[profile].level : VM2_HARDENED;
}

uint32_t vm2_defences(unsigned profile)
{
	return profile < VM2_NPROFILES ? profiles[profile].def : D_ALL;
}

int vm2_clamps_children(unsigned profile)
{
	return profile < VM2_NPROFILES ? profiles[profile].clamp : 1;
}
