// libFuzzer target: any bytes given to the binary (V2) loader must give a
// result or a clean error, never a crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dump/binary.h"
#include "meta/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto engine = jfsbr::OpenMeta("memkv://fuzz", true);
  if (!engine.ok()) return 0;
  (void)(*engine)->Clear();  // the same engine every run: start empty
  auto src = jfsbr::StringSource(std::string(reinterpret_cast<const char*>(data), size));
  jfsbr::LoadOptions o;
  o.threads = 1;
  (void)jfsbr::LoadBinary(src.get(), engine->get(), o);
  return 0;
}
