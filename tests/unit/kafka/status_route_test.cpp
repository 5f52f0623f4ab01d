// The route of an `accepted` status event (SMSC routes, docs/EVENTS.md): written after the
// variant only when set, the same text as the reference serialiser, and read back.

#include <gtest/gtest.h>

#include "kafka/events.hpp"

namespace otaflow::kafka {
namespace {

TEST(status_route, TheRouteIsWrittenWhenSetAndReadBack) {
  status_event ev{"c1",      "8946990000000000008", model::job_state::accepted,
                  1,         std::nullopt,          "",
                  "default", 1732560000131,         "hub"};
  const auto text = serialise(ev);
  EXPECT_EQ(text,
            "{\"campaign\":\"c1\",\"iccid\":\"8946990000000000008\",\"state\":\"accepted\","
            "\"attempt\":1,\"por_status\":null,\"reason\":\"\",\"ts\":1732560000131,"
            "\"variant\":\"default\",\"route\":\"hub\"}");
  EXPECT_EQ(text, serialise_reference(ev));
  auto back = parse_status_event(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, ev);

  ev.route.clear();
  EXPECT_EQ(serialise(ev).find("route"), std::string::npos);
  auto plain = parse_status_event(serialise(ev));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->route, "");
}

}  // namespace
}  // namespace otaflow::kafka
