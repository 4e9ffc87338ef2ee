#include "common/tls.h"

namespace mha {

std::string_view ssl_mode_name(SslMode mode) {
  switch (mode) {
    case SslMode::disabled: return "disabled";
    case SslMode::preferred: return "preferred";
    case SslMode::required: return "required";
    case SslMode::verify_ca: return "verify_ca";
    case SslMode::verify_identity: return "verify_identity";
  }
  return "disabled";
}

}  // namespace mha
