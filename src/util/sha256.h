// SHA-256 (OpenSSL), whole or streamed; hex digests in lower case.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace jfsbr {

std::string Sha256Hex(std::string_view data);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string HexDigest();  // once, at the end

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace jfsbr
