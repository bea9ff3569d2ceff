// The table of key-value engine backends by URL scheme.
#include "tkv/registry.h"

#include "meta/registry.h"
#include "tkv/backends.h"
#include "tkv/prefix.h"

namespace jfsbr {
namespace {

struct Backend {
  std::string_view scheme;
  Result<std::unique_ptr<KvEngine>> (*open)(const EngineUrl&);
};

constexpr Backend kBackends[] = {
    {"rocksdb", OpenRocksEngine},
    {"memkv", OpenMemoryEngine},
    {"etcd", OpenEtcdEngine},
};

}  // namespace

std::string SupportedEngineSchemes() {
  std::string s;
  for (const auto& b : kBackends) s += (s.empty() ? "" : ", ") + std::string(b.scheme);
  return s;
}

Result<EngineUrl> ParseEngineUrl(std::string_view url) {
  auto pos = url.find("://");
  if (pos == std::string_view::npos || pos == 0) {
    return Status::InvalidArgument("malformed META-URL '" + std::string(url) +
                                   "': expected SCHEME://..., e.g. rocksdb:///var/jfs/meta");
  }
  EngineUrl u{std::string(url.substr(0, pos)), std::string(url.substr(pos + 3))};
  if (u.rest.empty()) {
    return Status::InvalidArgument("malformed META-URL '" + std::string(url) + "': nothing after " +
                                   u.scheme + "://");
  }
  return u;
}

Result<std::unique_ptr<KvEngine>> OpenEngine(std::string_view url, bool create) {
  JFS_ASSIGN_OR_RETURN(auto engine, OpenEngineUnprefixed(url, create));
  JFS_ASSIGN_OR_RETURN(EngineUrl u, ParseEngineUrl(url));
  return WithKeyPrefix(std::move(engine), JuiceFsKeyPrefix(u));
}

Result<std::unique_ptr<KvEngine>> OpenEngineUnprefixed(std::string_view url, bool create) {
  JFS_ASSIGN_OR_RETURN(EngineUrl u, ParseEngineUrl(url));
  u.create = create;
  for (const auto& b : kBackends) {
    if (b.scheme == u.scheme) return b.open(u);
  }
  if (MetaFamilyOf(url) == "sql" || MetaFamilyOf(url) == "redis") {
    // A volume jfsbr reads (meta/registry.h), but not through engine keys.
    return Status::NotSupported(
        "engine-level backups, log backup and history work on the TKV engines (" +
        SupportedEngineSchemes() + "); a " + u.scheme +
        " volume takes dump backups ('jfsbr backup', 'jfsbr backup daemon')");
  }
  return Status::InvalidArgument("unknown META-URL scheme '" + u.scheme +
                                 "' (supported: " + SupportedEngineSchemes() + ")");
}

}  // namespace jfsbr
