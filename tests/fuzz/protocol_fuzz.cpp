// Fuzz target: the control socket's request parser, as the control server
// calls it on every line a client sends (anyone in the socket's group can).
// A request that parses has its typed arguments read the way the command
// handlers read them, and every outcome is turned into the reply line the
// server would send, which mhactl's reply parser must read back.

#include "common/protocol.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using mha::protocol::Reply;

// The reply line parses on the client side with the id echoed.
void check_reply(const std::string& line, const nlohmann::json& id, Reply::Kind kind) {
  MHA_FUZZ_CHECK(!line.empty() && line.back() == '\n');
  MHA_FUZZ_CHECK(line.find('\n') == line.size() - 1);  // one line per reply
  auto reply = mha::protocol::parse_reply(line);
  MHA_FUZZ_CHECK(reply.ok());
  MHA_FUZZ_CHECK(reply->kind == kind);
  MHA_FUZZ_CHECK(reply->id == id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto request = mha::protocol::parse_request(mha::fuzz::as_text(data, size));
  if (!request) {
    check_reply(mha::protocol::error_reply(nullptr, request.error()), nullptr, Reply::Kind::error);
    return 0;
  }
  // The keys the command handlers read (daemon/app/), with their types.
  for (const char* key : {"to", "server", "mode", "reason"}) {
    auto value = request->string_arg(key);
    if (!value) check_reply(mha::protocol::error_reply(request->id, value.error()), request->id, Reply::Kind::error);
  }
  auto force = request->bool_arg("force");
  if (!force) check_reply(mha::protocol::error_reply(request->id, force.error()), request->id, Reply::Kind::error);
  check_reply(mha::protocol::ok_reply(request->id, request->args), request->id, Reply::Kind::result);
  check_reply(mha::protocol::event_reply(request->id, "phase", {{"phase", request->cmd}}), request->id,
              Reply::Kind::event);
  return 0;
}
