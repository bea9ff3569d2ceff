// The process-wide notice handler.
#include "util/notice.h"

#include <mutex>

namespace jfsbr {
namespace {

std::mutex& Mu() {
  static std::mutex mu;
  return mu;
}
NoticeHandler& Handler() {
  static NoticeHandler handler;
  return handler;
}

}  // namespace

void SetNoticeHandler(NoticeHandler handler) {
  std::lock_guard l(Mu());
  Handler() = std::move(handler);
}

void Notice(std::string_view message) {
  std::lock_guard l(Mu());
  if (Handler()) Handler()(message);
}

}  // namespace jfsbr
