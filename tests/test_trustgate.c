/* Check suites for the trustgate target: the gate's token checks on hand-built signed
 * messages (valid, wrong key, stripped, reordered, attenuated, expired, revoked at use,
 * audience, prefix, discharge binding, replay, policy), the audit hash chain (verifies;
 * a changed byte, a removed record, reordered records do not), and the oracle, which must
 * flag every vulnerable profile's regression at its last step and nothing on hardened.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escapade/run.h"
#include "testutil.h"
#include "trustgate.h"

#ifndef ESC_SOURCE_DIR
#error "tests/CMakeLists.txt must define ESC_SOURCE_DIR"
#endif
#define REGRESSIONS ESC_SOURCE_DIR "/corpora/regressions/trustgate"

static const esc_target *const targets[] = { &trustgate_target, NULL };
static tg_keys K;
static tg_gate G;
static tg_decision D;
static tg_wire W;
static uint32_t next_id;

#define BIT(p) (1u << (p))

static void setup(unsigned defences)
{
	ck_assert_int_eq(tg_keys_derive(&K), 0);
	tg_gate_reset(&G, &K, defences);
	next_id = 0;
}

/* Builds a message from `from`, signs it with from's key, and lets the gate decide. */
static int cross(unsigned type, unsigned from, unsigned to, const tg_blob *tok, const tg_blob *dis,
		 const char *res, const char *code)
{
	tg_msg m = { .type = type, .from = from, .to = to, .id = next_id++, .resource = res,
		     .token = tok ? tok->s : "", .discharge = dis ? dis->s : "",
		     .code = code ? code : "" };
	ck_assert_int_eq(tg_wire_build(K.sk[from], &m, &W), 0);
	return tg_gate_cross(&G, W.b, W.n, &D, NULL, 0);
}

static void issue(tg_blob *out, unsigned serial, unsigned aud, unsigned act, const char *res,
		  uint32_t expiry, int once)
{
	ck_assert_int_eq(tg_tok_issue(K.root, &K, serial, aud, act, res, expiry, once, out), 0);
}

static int read_as(unsigned who, const tg_blob *tok, const char *res)
{
	return cross(TG_MSG_READ, who, TG_ORCH, tok, NULL, res, NULL);
}

/* ---- token checks ---- */

START_TEST(token_valid_and_wrong_key)
{
	static tg_blob t, forged;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_C), TG_ACT_READ, "repo/app", 100, 0);
	ck_assert(cross(TG_MSG_GRANT, TG_ORCH, TG_C, &t, NULL, "", NULL));
	ck_assert(read_as(TG_C, &t, "repo/app"));
	ck_assert(read_as(TG_C, &t, "repo/app/src/main.c"));
	uint8_t guess[32] = { 0 };
	ck_assert_int_eq(tg_tok_issue(guess, &K, 1, BIT(TG_C), TG_ACT_READ, "repo", 100, 0, &forged), 0);
	ck_assert(!read_as(TG_C, &forged, "repo/app"));
	ck_assert_int_eq(D.reason, TG_R_TOKEN);
	ck_assert(!cross(TG_MSG_GRANT, TG_ORCH, TG_C, &forged, NULL, "", NULL));
}
END_TEST

START_TEST(token_stripped_or_reordered)
{
	static tg_blob t, e;
	int harmless;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_A), TG_ACT_READ, "repo/app", 100, 1);
	for (unsigned k = 0; k < 5; k++) { /* agent, action, resource, expires, nonce */
		ck_assert_int_eq(tg_tok_edit(&t, TG_EDIT_STRIP, k, 0, &e, &harmless), 0);
		ck_assert(!read_as(TG_A, &e, "repo/app"));
		ck_assert_int_eq(D.reason, TG_R_TOKEN);
		ck_assert_int_eq(tg_tok_edit(&t, TG_EDIT_REORDER, k, 0, &e, &harmless), 0);
		ck_assert(!read_as(TG_A, &e, "repo/app"));
		ck_assert_int_eq(D.reason, TG_R_TOKEN);
	}
	/* a flipped byte in a caveat fails; one in the location hint is not covered */
	ck_assert_int_eq(tg_tok_edit(&t, TG_EDIT_FLIP, 20, 1, &e, &harmless), 0);
	ck_assert(!harmless);
	ck_assert(!read_as(TG_A, &e, "repo/app"));
	ck_assert_int_eq(tg_tok_edit(&t, TG_EDIT_FLIP, 0, 1, &e, &harmless), 0);
	ck_assert(harmless);
	ck_assert(read_as(TG_A, &e, "repo/app"));
}
END_TEST

START_TEST(token_attenuated_narrower)
{
	static tg_blob t, n, d;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_A) | BIT(TG_C), TG_ACT_READ, "repo/app", 100, 0);
	ck_assert_int_eq(tg_tok_attenuate(&t, "resource = repo/app/tests", &n), 0);
	ck_assert(read_as(TG_A, &n, "repo/app/tests/unit"));
	ck_assert(!read_as(TG_A, &n, "repo/app/docs")); /* the parent allows it, n does not */
	ck_assert(read_as(TG_A, &t, "repo/app/docs"));
	ck_assert_int_eq(tg_tok_attenuate(&n, "expires < 5", &d), 0);
	G.clock = 5;
	ck_assert(!read_as(TG_A, &d, "repo/app/tests"));
	ck_assert(read_as(TG_A, &n, "repo/app/tests"));
	/* delegation is attenuation: the gate adds [agent in c] */
	ck_assert(cross(TG_MSG_DELEGATE, TG_A, TG_C, &n, NULL, "", NULL));
	d = D.delegated;
	ck_assert(read_as(TG_C, &d, "repo/app/tests"));
	ck_assert(!read_as(TG_A, &d, "repo/app/tests"));
	ck_assert(!read_as(TG_C, &d, "repo/app/docs"));
}
END_TEST

START_TEST(token_expired)
{
	static tg_blob t;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_C), TG_ACT_READ, "repo", 10, 0);
	G.clock = 9;
	ck_assert(read_as(TG_C, &t, "repo"));
	G.clock = 10;
	ck_assert(!read_as(TG_C, &t, "repo"));
	ck_assert_int_eq(D.reason, TG_R_TOKEN);
	/* expiry-at-issue: the grant still checks it, a use does not */
	setup(tg_profile_defences(TG_EXPIRY_AT_ISSUE));
	G.clock = 10;
	ck_assert(!cross(TG_MSG_GRANT, TG_ORCH, TG_C, &t, NULL, "", NULL));
	ck_assert(read_as(TG_C, &t, "repo"));
}
END_TEST

START_TEST(token_revoked_at_use)
{
	static tg_blob t;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_C), TG_ACT_READ, "repo", 100, 0);
	ck_assert(cross(TG_MSG_GRANT, TG_ORCH, TG_C, &t, NULL, "", NULL));
	ck_assert(read_as(TG_C, &t, "repo"));
	ck_assert(!cross(TG_MSG_REVOKE, TG_A, TG_ORCH, NULL, NULL, "tok#1", NULL)); /* only orch */
	ck_assert(cross(TG_MSG_REVOKE, TG_ORCH, TG_ORCH, NULL, NULL, "tok#1", NULL));
	ck_assert(!read_as(TG_C, &t, "repo"));
	ck_assert_int_eq(D.reason, TG_R_REVOKED);
	ck_assert(!cross(TG_MSG_GRANT, TG_ORCH, TG_C, &t, NULL, "", NULL));
	setup(tg_profile_defences(TG_REVOKE_AT_ISSUE));
	ck_assert(cross(TG_MSG_REVOKE, TG_ORCH, TG_ORCH, NULL, NULL, "tok#1", NULL));
	ck_assert(!cross(TG_MSG_GRANT, TG_ORCH, TG_C, &t, NULL, "", NULL));
	ck_assert(read_as(TG_C, &t, "repo")); /* the defect */
}
END_TEST

START_TEST(token_audience_and_prefix)
{
	static tg_blob t;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_A), TG_ACT_READ, "repo/app", 100, 0);
	ck_assert(!read_as(TG_C, &t, "repo/app"));
	ck_assert(!read_as(TG_A, &t, "repo/app-secrets"));
	ck_assert(!read_as(TG_A, &t, "repo/apply"));
	setup(tg_profile_defences(TG_AUDIENCE_UNCHECKED));
	ck_assert(read_as(TG_C, &t, "repo/app"));
	setup(tg_profile_defences(TG_PREFIX_MATCH));
	ck_assert(read_as(TG_A, &t, "repo/app-secrets"));
}
END_TEST

START_TEST(single_use_and_replay)
{
	static tg_blob t;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_C), TG_ACT_READ, "repo", 100, 1);
	ck_assert(read_as(TG_C, &t, "repo"));
	ck_assert(!read_as(TG_C, &t, "repo")); /* nonce spent */
	issue(&t, 2, BIT(TG_C), TG_ACT_READ, "repo", 100, 0);
	ck_assert(read_as(TG_C, &t, "repo"));
	static tg_wire again;
	again = W;
	ck_assert(!tg_gate_cross(&G, again.b, again.n, &D, NULL, 0));
	ck_assert_int_eq(D.reason, TG_R_REPLAY);
	again.b[again.n - 1] ^= 1;
	ck_assert(!tg_gate_cross(&G, again.b, again.n, &D, NULL, 0));
	ck_assert_int_eq(D.reason, TG_R_SIGNATURE);
	ck_assert(!cross(TG_MSG_SUBMIT, TG_C, TG_B, &t, NULL, "repo", "x"));
	ck_assert_int_eq(D.reason, TG_R_POLICY);
	setup(tg_profile_defences(TG_REPLAY_UNCHECKED));
	ck_assert(read_as(TG_C, &t, "repo"));
	again = W;
	ck_assert(tg_gate_cross(&G, again.b, again.n, &D, NULL, 0));
}
END_TEST

/* B's discharge for `code`, answering the submission made with `asked` (its [for = ...]
 * names that token), bound by the presenter to `bind`. */
static void discharge_for(const tg_blob *asked, const tg_blob *bind, const char *code,
			  tg_blob *bound)
{
	static tg_blob d;
	char id[96], hex[TG_HEX_MAX], ref[TG_REF_MAX];
	uint8_t key[32];
	ck_assert_int_eq(tg_tok_third_party(asked, id, sizeof(id)), 0);
	ck_assert_int_eq(tg_tok_ref(asked, ref), 0);
	tg_caveat_key(&K, id, key);
	tg_code_hash(code, hex);
	ck_assert_int_eq(tg_dis_mint(key, id, hex, ref, &d), 0);
	ck_assert_int_eq(tg_dis_bind(bind, &d, bound), 0);
}

START_TEST(discharge_binding)
{
	static tg_blob t1, t2, t1n, b1, b2, b3;
	setup(TG_D_ALL);
	issue(&t1, 1, BIT(TG_A), TG_ACT_EXECUTE, "repo/app", 100, 0);
	issue(&t2, 2, BIT(TG_A), TG_ACT_EXECUTE, "repo/app", 100, 0);
	ck_assert_int_eq(tg_tok_attenuate(&t1, "resource = repo/app/tests", &t1n), 0);
	ck_assert(cross(TG_MSG_SUBMIT, TG_A, TG_B, &t1, NULL, "repo/app", "print(1)"));
	discharge_for(&t1, &t1, "print(1)", &b1);
	ck_assert(cross(TG_MSG_RUN, TG_A, TG_C, &t1, &b1, "repo/app", "print(1)"));
	ck_assert(!cross(TG_MSG_RUN, TG_A, TG_C, &t1, &b1, "repo/app", "rm -rf /"));
	ck_assert(!cross(TG_MSG_RUN, TG_A, TG_C, &t1, NULL, "repo/app", "print(1)"));
	ck_assert_int_eq(D.reason, TG_R_MISSING);
	/* A raw discharge binds to any token that carries B's caveat: only its [for = ...]
	 * ties it to the request it answered. Lifted onto tok#2, and onto tok#1 narrowed. */
	discharge_for(&t1, &t2, "print(1)", &b2);
	discharge_for(&t1, &t1n, "print(1)", &b3);
	ck_assert(!cross(TG_MSG_RUN, TG_A, TG_C, &t2, &b2, "repo/app", "print(1)"));
	ck_assert(!cross(TG_MSG_RUN, TG_A, TG_C, &t1n, &b3, "repo/app/tests", "print(1)"));
	setup(tg_profile_defences(TG_DISCHARGE_UNBOUND));
	ck_assert(cross(TG_MSG_RUN, TG_A, TG_C, &t2, &b2, "repo/app", "print(1)"));
	ck_assert(cross(TG_MSG_RUN, TG_A, TG_C, &t1n, &b3, "repo/app/tests", "print(1)"));
	ck_assert(!cross(TG_MSG_RUN, TG_A, TG_C, &t1, &b1, "repo/app", "rm -rf /"));
	setup(tg_profile_defences(TG_VALIDATION_UNBOUND));
	ck_assert(cross(TG_MSG_RUN, TG_A, TG_C, &t1, &b1, "repo/app", "rm -rf /"));
	ck_assert(!cross(TG_MSG_RUN, TG_A, TG_C, &t2, &b2, "repo/app", "print(1)"));
}
END_TEST

/* ---- the audit chain ---- */

static tg_audit A;

static void fill_log(unsigned n)
{
	tg_audit_init(&A);
	for (unsigned i = 0; i < n; i++) {
		tg_record r = { .clock = i / 2, .msg_id = i, .type = (uint8_t)(i % TG_NMSG),
				.from = (uint8_t)(i % TG_NPRINC), .to = TG_ORCH,
				.allow = (uint8_t)(i & 1), .reason = (uint8_t)(i & 1 ? 0 : TG_R_POLICY) };
		snprintf(r.token, sizeof(r.token), "tok#%u", i + 1);
		memset(r.wire, (int)i, sizeof(r.wire));
		ck_assert_int_eq(tg_audit_append(&A, &r), 0);
	}
}

START_TEST(audit_chain_verifies)
{
	fill_log(6);
	ck_assert_int_eq(tg_audit_verify(&A, 0), -1);
	ck_assert_int_eq(tg_audit_verify(&A, 3), -1);
	tg_audit_init(&A);
	ck_assert_int_eq(tg_audit_verify(&A, 0), -1);
}
END_TEST

START_TEST(audit_tampered_byte)
{
	/* one byte of record 2 changed, field by field, and one byte of its stored hash */
	for (int field = 0; field < 9; field++) {
		fill_log(5);
		tg_record *r = &A.rec[2];
		switch (field) {
		case 0: r->clock ^= 1; break;
		case 1: r->msg_id ^= 0x100; break;
		case 2: r->type ^= 1; break;
		case 3: r->from ^= 2; break;
		case 4: r->allow ^= 1; break;
		case 5: r->reason ^= 4; break;
		case 6: r->wire[7] ^= 0x80; break;
		case 7: r->token[4] ^= 1; break;
		default: A.hash[2][31] ^= 1; break;
		}
		ck_assert_int_eq(tg_audit_verify(&A, 0), 2);
	}
}
END_TEST

START_TEST(audit_removed_or_reordered)
{
	fill_log(5);
	memmove(&A.rec[1], &A.rec[2], 3 * sizeof(A.rec[0])); /* record 1 removed */
	memmove(A.hash[1], A.hash[2], 3 * sizeof(A.hash[0]));
	A.n = 4;
	ck_assert_int_eq(tg_audit_verify(&A, 0), 1);
	for (unsigned i = 1; i < A.n; i++) /* even with the sequence numbers rewritten */
		A.rec[i].seq = i;
	ck_assert_int_eq(tg_audit_verify(&A, 0), 1);

	fill_log(5);
	tg_record t = A.rec[1];
	uint8_t h[32];
	A.rec[1] = A.rec[2];
	A.rec[2] = t;
	memcpy(h, A.hash[1], 32);
	memcpy(A.hash[1], A.hash[2], 32);
	memcpy(A.hash[2], h, 32);
	ck_assert_int_eq(tg_audit_verify(&A, 0), 1);
}
END_TEST

START_TEST(audit_records_every_crossing)
{
	static tg_blob t;
	setup(TG_D_ALL);
	issue(&t, 1, BIT(TG_C), TG_ACT_READ, "repo", 100, 0);
	ck_assert(read_as(TG_C, &t, "repo"));
	ck_assert(!read_as(TG_C, &t, "secrets"));
	ck_assert(!cross(TG_MSG_RUN, TG_C, TG_A, &t, NULL, "repo", "x"));
	ck_assert_uint_eq(G.audit.n, 3);
	ck_assert_int_eq(G.audit.rec[1].allow, 0);
	ck_assert_int_eq(G.audit.rec[2].reason, TG_R_POLICY);
	ck_assert_int_eq(tg_audit_verify(&G.audit, 0), -1);
	setup(tg_profile_defences(TG_AUDIT_SKIP_DENY));
	ck_assert(read_as(TG_C, &t, "repo"));
	ck_assert(!read_as(TG_C, &t, "secrets"));
	ck_assert_uint_eq(G.audit.n, 1); /* the defect: the denial left no record */
}
END_TEST

/* ---- the oracle ---- */

static esc_scn scn;

/* Each vulnerable profile's regression (named after it) must escape on that profile at
 * its last op, with the kind the file expects, and be contained on hardened. */
START_TEST(oracle_flags_each_profile)
{
	unsigned p = (unsigned)_i;
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s.scn", REGRESSIONS, trustgate_target.profiles[p]);
	tu_load(&scn, targets, path);
	int x = esc_scn_find_expect(&scn, p);
	ck_assert_int_ge(x, 0);
	ck_assert_int_ne(scn.expect[x].kind, ESC_CONTAINED);
	esc_verdict v = tu_expect(&scn, p, scn.expect[x].kind, path);
	ck_assert_int_eq(v.step, (int)scn.nops - 1);
	ck_assert(v.summary[0] != 0 && v.chain[0] != 0);
	tu_expect(&scn, TG_HARDENED, ESC_CONTAINED, path);
	esc_scn_clear(&scn);
}
END_TEST

START_TEST(regressions_per_profile)
{
	unsigned files = 0;
	tu_scn_dir it;
	for (tu_scn_open(&it, REGRESSIONS); tu_scn_next(&it);) {
		tu_load(&scn, targets, it.path);
		files++;
		ck_assert_msg(scn.nexpect == TG_NPROFILES, "%s: one expect per profile", it.path);
		for (unsigned i = 0; i < scn.nexpect; i++)
			tu_expect(&scn, scn.expect[i].profile, scn.expect[i].kind, it.path);
		esc_scn_clear(&scn);
	}
	ck_assert_uint_ge(files, TG_NPROFILES);
}
END_TEST

/* Same scenario, same profile: the same trace byte for byte (keys, nonces, audit hashes),
 * and an escape leaves nothing behind for the next run on the same runner. */
START_TEST(deterministic_and_reset)
{
	char *buf[2] = { NULL, NULL };
	size_t len[2];
	tu_load(&scn, targets, REGRESSIONS "/legit-pipeline.scn");
	for (int k = 0; k < 2; k++) {
		FILE *f = open_memstream(&buf[k], &len[k]);
		ck_assert_ptr_nonnull(f);
		esc_verdict v = tu_run_on(&scn, TG_HARDENED, f, NULL);
		fclose(f);
		ck_assert_int_eq(v.kind, ESC_CONTAINED);
	}
	ck_assert_uint_eq(len[0], len[1]);
	ck_assert(memcmp(buf[0], buf[1], len[0]) == 0);
	free(buf[0]);
	free(buf[1]);

	static esc_scn esc;
	tu_load(&esc, targets, REGRESSIONS "/replay-unchecked.scn");
	esc_runner r;
	esc_verdict v;
	ck_assert_int_eq(esc_runner_init(&r, &trustgate_target, TG_REPLAY_UNCHECKED), 0);
	ck_assert_int_eq(esc_run(&r, &esc, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_FORGED_AUTHORITY);
	ck_assert_int_eq(esc_run(&r, &scn, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_CONTAINED);
	ck_assert_int_eq(esc_run(&r, &esc, &v, NULL), 0);
	ck_assert_int_eq(v.kind, ESC_FORGED_AUTHORITY);
	esc_runner_fini(&r);
	esc_scn_clear(&esc);
	esc_scn_clear(&scn);
}
END_TEST

static Suite *trustgate_suite(void)
{
	Suite *s = suite_create("trustgate");
	TCase *tc = tcase_create("tokens");
	tcase_add_test(tc, token_valid_and_wrong_key);
	tcase_add_test(tc, token_stripped_or_reordered);
	tcase_add_test(tc, token_attenuated_narrower);
	tcase_add_test(tc, token_expired);
	tcase_add_test(tc, token_revoked_at_use);
	tcase_add_test(tc, token_audience_and_prefix);
	tcase_add_test(tc, single_use_and_replay);
	tcase_add_test(tc, discharge_binding);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_test(tc, audit_chain_verifies);
	tcase_add_test(tc, audit_tampered_byte);
	tcase_add_test(tc, audit_removed_or_reordered);
	tcase_add_test(tc, audit_records_every_crossing);
	suite_add_tcase(s, tc);

	tc = tcase_create("oracle");
	tcase_add_loop_test(tc, oracle_flags_each_profile, 1, TG_NPROFILES);
	tcase_add_test(tc, regressions_per_profile);
	tcase_add_test(tc, deterministic_and_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trustgate_suite());
	srunner_set_fork_status(sr, CK_NOFORK); /* one process: LeakSanitizer sees everything */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
