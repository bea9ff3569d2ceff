// The TKV family's Meta: JuiceFS's records as keys of an ordered key-value
// engine (kv/keys.h), over any KvEngine (RocksDB, etcd, memkv).
//
// The engine-level work of this family (br backups of every key, log capture
// from etcd's history, point-in-time replay) needs the keys themselves:
// TkvEngineOf gives that code the KvEngine under a Meta.
#pragma once

#include <memory>

#include "kv/engine.h"
#include "meta/meta.h"

namespace jfsbr {

// A Meta over engine (which holds the volume's logical keys: a shared
// engine's prefix already applied, see kv/prefix.h).
std::unique_ptr<Meta> NewTkvMeta(std::unique_ptr<KvEngine> engine);

// The key-value engine under meta, or nullptr if meta is not of the TKV family.
KvEngine* TkvEngineOf(Meta* meta);

// The key range a RecordRange covers (for KvEngine::ScanRanges and tests).
KeyRange TkvKeyRange(const RecordRange& range);

}  // namespace jfsbr
