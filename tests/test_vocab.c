/*
 * test_vocab.c - names and values of the vocabulary: every value's name
 * parses back to it (in any ASCII case), and an unknown name is refused
 * with a message that lists the names, leaving the output alone.
 */
#include "check.h"

static void test_round_trip(void)
{
	static const bt_level levels[] = { BT_DEBUG, BT_INFO, BT_WARNING, BT_ERROR, BT_CRITICAL };
	bt_status st;
	bt_severity sev;
	bt_priority pr;
	bt_source so;
	bt_level lv;
	int n = 0;

	for (int i = BT_STATUS_NEW; bt_status_name((bt_status)i); i++, n++) {
		CHECK_RC(bt_status_from_name(bt_status_name((bt_status)i), &st), BT_OK);
		CHECK_INT_EQ(st, i);
	}
	CHECK_INT_EQ(n, 6);
	for (int i = BT_SEVERITY_LOW; bt_severity_name((bt_severity)i); i++) {
		CHECK_RC(bt_severity_from_name(bt_severity_name((bt_severity)i), &sev), BT_OK);
		CHECK_INT_EQ(sev, i);
	}
	for (int i = BT_PRIORITY_LOW; bt_priority_name((bt_priority)i); i++) {
		CHECK_RC(bt_priority_from_name(bt_priority_name((bt_priority)i), &pr), BT_OK);
		CHECK_INT_EQ(pr, i);
	}
	for (int i = BT_SOURCE_USER; bt_source_name((bt_source)i); i++) {
		CHECK_RC(bt_source_from_name(bt_source_name((bt_source)i), &so), BT_OK);
		CHECK_INT_EQ(so, i);
	}
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		CHECK_RC(bt_level_from_name(bt_level_name(levels[i]), &lv), BT_OK);
		CHECK_INT_EQ(lv, levels[i]);
	}
	CHECK_RC(bt_level_from_name("warning", &lv), BT_OK);
	CHECK_INT_EQ(lv, BT_WARNING);
	CHECK_RC(bt_status_from_name("In_Progress", &st), BT_OK);
	CHECK_INT_EQ(st, BT_STATUS_IN_PROGRESS);
}

static void test_refused(void)
{
	bt_status st = BT_STATUS_CLOSED;
	bt_severity sev = BT_SEVERITY_HIGH;
	bt_level lv = BT_INFO;

	CHECK_RC(bt_status_from_name("done", &st), BT_EINVALID);
	CHECK_INT_EQ(st, BT_STATUS_CLOSED);
	CHECK_STR_CONTAINS(bt_error_message(), "bt_status_from_name: unknown status 'done'; use new, "
			   "triaged, in_progress, awaiting_verification, resolved or closed");
	CHECK_RC(bt_severity_from_name("", &sev), BT_EINVALID);
	CHECK_INT_EQ(sev, BT_SEVERITY_HIGH);
	CHECK_STR_CONTAINS(bt_error_message(), "use low, medium, high or critical");
	CHECK_RC(bt_level_from_name("fatal", &lv), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "use debug, info, warning, error or critical");
	CHECK_RC(bt_priority_from_name(NULL, NULL), BT_EINVALID);
	CHECK_RC(bt_source_from_name(NULL, (bt_source *)&st), BT_EINVALID);
	CHECK_STR_CONTAINS(bt_error_message(), "name is NULL");
	CHECK_RC(bt_status_from_name("new ", &st), BT_EINVALID);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_refused);
	return check_finish();
}
