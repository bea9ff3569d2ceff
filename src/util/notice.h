// Notices: what a long wait inside the library is waiting for ("etcd
// endpoints refuse connections; retrying"), handed to whoever runs it. The
// library never prints; the CLI installs a handler that writes a line to
// stderr. Without a handler, notices are dropped.
#pragma once

#include <functional>
#include <string_view>

namespace jfsbr {

using NoticeHandler = std::function<void(std::string_view message)>;

// Installs handler for the whole process (nullptr: drop notices).
void SetNoticeHandler(NoticeHandler handler);
// Hands message to the handler. Thread-safe.
void Notice(std::string_view message);

}  // namespace jfsbr
