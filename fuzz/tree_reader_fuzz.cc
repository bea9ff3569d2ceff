// libFuzzer target: any bytes read as a JSON dump by diff's tree reader (and
// diffed against themselves, which must find nothing) give entries or a clean
// error, never a crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "view/diff.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto a = jfsbr::StringSource(bytes), b = jfsbr::StringSource(bytes);
  jfsbr::TreeReader ra(a.get(), "/", "/", "A"), rb(b.get(), "/", "/", "B");
  jfsbr::DiffOptions o;
  o.memory_bytes = 1 << 10;  // spill to disk early
  auto stats = jfsbr::DiffTrees(&ra, &rb, o, [](const jfsbr::DiffEntry&) {
    abort();  // a dump differs from itself
    return jfsbr::Status::OK();
  });
  (void)stats;
  return 0;
}
