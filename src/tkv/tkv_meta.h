// The TKV family's Meta: JuiceFS's records as keys of an ordered key-value
// engine (tkv/keys.h), over any KvEngine (RocksDB, etcd, memkv).
//
// The engine-level work of this family (br backups of every key, log capture
// from etcd's history, point-in-time replay) needs the keys themselves:
// TkvEngineOf gives that code the KvEngine under a Meta.
#pragma once

#include <memory>

#include "meta/meta.h"
#include "tkv/engine.h"

namespace jfsbr {

// A Meta over engine (which holds the volume's logical keys: a shared
// engine's prefix already applied, see tkv/prefix.h).
std::unique_ptr<Meta> NewTkvMeta(std::unique_ptr<KvEngine> engine);

// The key-value engine under meta, or nullptr if meta is not of the TKV family.
KvEngine* TkvEngineOf(Meta* meta);

// The key range a RecordRange covers (for KvEngine::ScanRanges and tests).
KeyRange TkvKeyRange(const RecordRange& range);

}  // namespace jfsbr
