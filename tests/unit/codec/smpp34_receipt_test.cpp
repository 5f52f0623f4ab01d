// Tests for codec/smpp34_receipt: SMPP v3.4 Appendix B delivery receipt text.
//
// Vector sources (facts only):
//  [cloudhopper] receipts inside deliver_sm PDUs captured from SMSCs
//                (twitter-archive/cloudhopper-smpp PduDecoderTest.java).
//  [appendix-b]  the Appendix B layout as quoted in docs/standards/smpp34.md §8.
//  [hand]        variants seen in field reports (seconds in dates, other key case, missing
//                fields, vendor keys), written by hand.

#include "codec/smpp34_receipt.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::codec::smpp {
namespace {

TEST(Smpp34Receipt, CloudhopperReceipt) {
  const char* text =
      "id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 "
      "stat:DELIVRD err:000 text:@$#!%&/:";
  auto r = parse_receipt(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, "0059113978");
  EXPECT_EQ(r->submitted, 1u);
  EXPECT_EQ(r->delivered, 1u);
  EXPECT_EQ(r->submit_date, (receipt_date{10, 2, 10, 17, 30, std::nullopt}));
  EXPECT_EQ(r->done_date, (receipt_date{10, 2, 10, 17, 31, std::nullopt}));
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_EQ(stat_to_state(r->stat), message_state::delivered);
  EXPECT_EQ(r->err, "000");
  EXPECT_EQ(r->text, "@$#!%&/:");
  EXPECT_EQ(format_receipt(*r), text);
  // The same SMSC put 38601fa (hex) in receipted_message_id.
  EXPECT_TRUE(same_message_id("38601fa", r->id));
}

TEST(Smpp34Receipt, CloudhopperReceiptCutShort) {
  // [cloudhopper] a receipt whose text the SMSC cut after "te": no text: field at all.
  auto r = parse_receipt(
      "id:0000003005 sub:001 dlvrd:001 submit date:1001181431 done date:1001181431 "
      "stat:DELIVRD err:000 te");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, "0000003005");
  EXPECT_EQ(r->err, "000");
  EXPECT_FALSE(r->text);
}

TEST(Smpp34Receipt, TolerantParsing) {
  // [hand] seconds in the dates, capitalised keys, extra vendor key, fields in another order.
  auto r = parse_receipt(
      "ID:a1b2c3 Sub:1 DLVRD:0 Submit Date:240131235959 Done Date:240201000005 Stat:UNDELIV "
      "Err:001 foo:bar Text:Hello world ");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, "a1b2c3");
  EXPECT_EQ(r->submitted, 1u);
  EXPECT_EQ(r->delivered, 0u);
  EXPECT_EQ(r->submit_date, (receipt_date{24, 1, 31, 23, 59, 59}));
  EXPECT_EQ(r->done_date, (receipt_date{24, 2, 1, 0, 0, 5}));
  EXPECT_EQ(stat_to_state(r->stat), message_state::undeliverable);
  EXPECT_EQ(r->err, "001");
  EXPECT_EQ(r->text, "Hello world ");

  auto minimal = parse_receipt("stat:EXPIRED id:77");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->id, "77");
  EXPECT_EQ(minimal->stat, "EXPIRED");
  EXPECT_FALSE(minimal->submitted);
  EXPECT_FALSE(minimal->submit_date);
  EXPECT_EQ(format_receipt(*minimal), "id:77 stat:EXPIRED");

  auto underscores = parse_receipt("id:1 submit_date:2401010000 done_date:2401010001");
  ASSERT_TRUE(underscores.ok());
  EXPECT_TRUE(underscores->submit_date && underscores->done_date);
}

TEST(Smpp34Receipt, Errors) {
  EXPECT_EQ(parse_receipt("").error().code, errc::bad_value);
  EXPECT_EQ(parse_receipt("sub:001 stat:DELIVRD").error().code, errc::bad_value);  // no id
  EXPECT_EQ(parse_receipt("id: sub:001").error().code, errc::bad_value);           // empty id
  EXPECT_EQ(parse_receipt("id:1 sub:0x1").error().code, errc::bad_value);
  EXPECT_EQ(parse_receipt("id:1 dlvrd:99999999999").error().code, errc::bad_value);
  EXPECT_EQ(parse_receipt("id:1 submit date:24013123").error().code, errc::bad_value);
  EXPECT_EQ(parse_receipt("id:1 done date:2413010000").error().code, errc::bad_value);
  EXPECT_EQ(parse_receipt("id:1 done date:24010100601").error().code, errc::bad_value);
  EXPECT_NE(parse_receipt("id:1 done date:2401x10000").error().message.find("done date"),
            std::string::npos);
}

TEST(Smpp34Receipt, StatMapping) {
  struct row {
    const char* stat;
    message_state state;
  };
  const row rows[] = {
      {"ENROUTE", message_state::enroute},       {"DELIVRD", message_state::delivered},
      {"EXPIRED", message_state::expired},       {"DELETED", message_state::deleted},
      {"UNDELIV", message_state::undeliverable}, {"ACCEPTD", message_state::accepted},
      {"UNKNOWN", message_state::unknown},       {"REJECTD", message_state::rejected},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(stat_to_state(r.stat), r.state) << r.stat;
    EXPECT_EQ(state_to_stat(r.state), r.stat);
  }
  EXPECT_EQ(stat_to_state("delivrd"), message_state::delivered);
  EXPECT_EQ(stat_to_state("DELIVERED"), message_state::delivered);
  EXPECT_EQ(stat_to_state("FAILED"), std::nullopt);
  EXPECT_EQ(state_to_stat(static_cast<message_state>(0)), "UNKNOWN");
}

TEST(Smpp34Receipt, StateNames) {
  const char* const names[] = {"SCHEDULED",     "ENROUTE",  "DELIVERED", "EXPIRED", "DELETED",
                               "UNDELIVERABLE", "ACCEPTED", "UNKNOWN",   "REJECTED"};
  for (int v = 0; v < 256; ++v) {
    EXPECT_EQ(state_name(static_cast<message_state>(v)), v < 9 ? names[v] : "UNKNOWN") << v;
  }
}

TEST(Smpp34Receipt, MessageIds) {
  EXPECT_TRUE(same_message_id("38601fa", "0059113978"));  // [cloudhopper] hex vs decimal
  EXPECT_TRUE(same_message_id("0059113978", "38601FA"));
  EXPECT_TRUE(same_message_id("ABC", "abc"));
  EXPECT_TRUE(same_message_id("0012", "12"));
  EXPECT_TRUE(same_message_id("10", "16"));  // 0x10 = 16: ids in different bases collide
  EXPECT_FALSE(same_message_id("12", "13"));
  EXPECT_FALSE(same_message_id("msg-1", "msg-2"));
  EXPECT_FALSE(same_message_id("", "0"));
  EXPECT_FALSE(same_message_id("ffffffffffffffffff", "1"));  // over 64 bits: no number
}

RC_GTEST_PROP(Smpp34Receipt, FormatParseRoundTrip, ()) {
  auto token = [] {
    const auto n = *rc::gen::inRange(1, 20);
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(*rc::gen::inRange<char>('!', '~' + 1));
    return s;
  };
  auto date = [] {
    receipt_date d{*rc::gen::inRange<std::uint8_t>(0, 100), *rc::gen::inRange<std::uint8_t>(1, 13),
                   *rc::gen::inRange<std::uint8_t>(1, 32),  *rc::gen::inRange<std::uint8_t>(0, 24),
                   *rc::gen::inRange<std::uint8_t>(0, 60),  std::nullopt};
    if (*rc::gen::arbitrary<bool>()) d.second = *rc::gen::inRange<std::uint8_t>(0, 60);
    return d;
  };
  delivery_receipt r;
  r.id = token();
  if (*rc::gen::arbitrary<bool>()) r.submitted = *rc::gen::arbitrary<std::uint32_t>();
  if (*rc::gen::arbitrary<bool>()) r.delivered = *rc::gen::inRange<std::uint32_t>(0, 1000);
  if (*rc::gen::arbitrary<bool>()) r.submit_date = date();
  if (*rc::gen::arbitrary<bool>()) r.done_date = date();
  if (*rc::gen::arbitrary<bool>()) r.stat = token();
  if (*rc::gen::arbitrary<bool>()) r.err = token();
  if (*rc::gen::arbitrary<bool>()) r.text = *rc::gen::arbitrary<std::string>();
  auto back = parse_receipt(format_receipt(r));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == r);
}

}  // namespace
}  // namespace otaflow::codec::smpp
