// Formatting and opening a volume, id allocation, counters.
#include <random>

#include "fs/internal.h"
#include "fs/volume.h"
#include "fs/write_rules.h"
#include "model/secrets.h"
#include "store/encrypted.h"
#include "store/registry.h"
#include "store/sharded.h"

namespace jfsbr {
namespace {

std::string NewUuid() {
  std::random_device rd;
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(rd());
  b[6] = (b[6] & 0x0F) | 0x40;  // version 4
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 4122 variant
  char out[37];
  snprintf(out, sizeof(out), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
           b[14], b[15]);
  return out;
}

}  // namespace

Status CheckVolumeName(const std::string& name) {
  bool ok = name.size() >= 3 && name.size() <= 63 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (ok) return Status::OK();
  return Status::InvalidArgument("invalid volume name '" + name +
                                 "': use 3-63 characters of a-z, 0-9 and '-', not at either end");
}

namespace {

// Rounds down to a power of two within [64 KiB, 16 MiB], like JuiceFS.
uint64_t FixBlockSize(uint64_t bytes) {
  uint64_t p = 1;
  while (p * 2 <= bytes) p *= 2;
  return std::clamp<uint64_t>(p, 64 << 10, 16 << 20);
}

Status CheckStore(ObjectStore* store) {
  std::string key = "testing/" + NewUuid().substr(0, 10);
  std::string data(100, 'j');
  JFS_RETURN_IF_ERROR(store->Put(key, data).Annotate("object store write test"));
  auto back = store->Get(key);
  Status del = store->Delete(key);
  if (!back.ok()) return back.status().Annotate("object store read test");
  if (*back != data) return Status::IOError("object store read test returned different bytes");
  JFS_RETURN_IF_ERROR(del.Annotate("object store delete test"));
  JFS_ASSIGN_OR_RETURN(auto objects, ListAll(store, ""));
  for (const auto& o : objects) {
    if (o.size > 0 && o.key != "testing" && o.key.rfind("testing/", 0) != 0) {
      return Status::Exists("object store " + store->Describe() + " is not empty (holds " + o.key +
                            "); clean it up or pick another volume name");
    }
  }
  return Status::OK();
}

Attr RootLikeDir(uint16_t mode, fsi::Timespec now) {
  Attr a;
  a.type = FileType::kDirectory;
  a.mode = mode;
  a.atime = a.mtime = a.ctime = now.sec;
  a.nlink = 2;
  a.length = 4096;
  a.parent = kRootInode;
  return a;
}

Result<VolumeFormat> Reformat(Meta* meta, const std::string& old_json, const FormatOptions& opts) {
  JFS_ASSIGN_OR_RETURN(VolumeFormat f, DecodeSetting(old_json));
  if (f.name != opts.name) {
    return Status::InvalidArgument("volume is named '" + f.name + "', not '" + opts.name +
                                   "'; a name cannot change");
  }
  f.trash_days = opts.trash_days;
  if (!opts.access_key.empty()) f.access_key = opts.access_key;
  if (!opts.secret_key.empty() || !opts.session_token.empty()) {
    // As juicefs format: open the sealed secrets, replace, seal them again.
    bool sealed = f.key_encrypted;
    JFS_ASSIGN_OR_RETURN(f, OpenSecrets(std::move(f)));
    if (!opts.secret_key.empty()) f.secret_key = opts.secret_key;
    if (!opts.session_token.empty()) f.session_token = opts.session_token;
    if (sealed) JFS_ASSIGN_OR_RETURN(f, SealSecrets(std::move(f)));
  }
  // Only over the setting read: a concurrent format or reformat conflicts.
  auto tx = meta->Begin();
  JFS_ASSIGN_OR_RETURN(auto now, tx->Get(RecordKey::Setting()));
  if (now != old_json) return Status::Conflict("the setting changed while it was rewritten");
  tx->Put(RecordKey::Setting(), EncodeSetting(f));
  JFS_RETURN_IF_ERROR(tx->Commit());
  return f;
}

}  // namespace

Status CheckName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("empty file name");
  if (name.size() > kMaxNameLen) {
    return Status::NameTooLong("file name of " + std::to_string(name.size()) +
                               " bytes (the limit is 255)");
  }
  if (name == "." || name == "..")
    return Status::InvalidArgument("invalid name '" + std::string(name) + "'");
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("file name contains '/' or NUL");
  }
  return Status::OK();
}

Result<VolumeFormat> FormatVolume(Meta* meta, const FormatOptions& opts) {
  JFS_RETURN_IF_ERROR(CheckVolumeName(opts.name));
  JFS_ASSIGN_OR_RETURN(auto existing, meta->Get(RecordKey::Setting()));
  if (existing) {
    if (!opts.force) {
      return Status::Exists(
          "the engine already holds a formatted volume; use --force to "
          "rewrite its setting");
    }
    return Reformat(meta, *existing, opts);
  }
  JFS_ASSIGN_OR_RETURN(bool empty, meta->Empty());
  if (!empty) return Status::Exists("the engine is not empty but holds no volume setting");

  VolumeFormat f;
  f.name = opts.name;
  f.uuid = opts.uuid.empty() ? NewUuid() : opts.uuid;
  f.storage = opts.storage;
  f.tiers = std::map<int, StorageTier>{{0, StorageTier{}}};
  JFS_ASSIGN_OR_RETURN(f.bucket, NormalizeBucket(opts.storage, opts.bucket));
  f.access_key = opts.access_key;
  f.secret_key = opts.secret_key;
  f.session_token = opts.session_token;
  f.block_size = static_cast<int64_t>(FixBlockSize(opts.block_size_kib << 10) >> 10);
  JFS_RETURN_IF_ERROR(BlockCodec::ForSetting(opts.compression).status());
  f.compression = opts.compression;
  f.encrypt_key = opts.encrypt_key_pem;
  f.encrypt_algo = opts.encrypt_algo;
  f.hash_prefix = opts.hash_prefix;
  f.trash_days = opts.trash_days;
  f.meta_version = 1;
  f.min_client_version = "1.1.0-A";
  f.dir_stats = true;

  JFS_RETURN_IF_ERROR(
      CreateBucket({f.storage, f.bucket, f.access_key, f.secret_key, f.session_token}));
  JFS_ASSIGN_OR_RETURN(f, SealSecrets(std::move(f)));  // as juicefs format stores them
  JFS_ASSIGN_OR_RETURN(auto store, OpenVolumeStore(f));
  JFS_RETURN_IF_ERROR(CheckStore(store.get()));
  JFS_RETURN_IF_ERROR(store->Put("juicefs_uuid", f.uuid).Annotate("write juicefs_uuid"));

  auto now = fsi::Now();
  // One transaction, over the absent setting: a concurrent format conflicts.
  auto tx = meta->Begin();
  JFS_ASSIGN_OR_RETURN(auto raced, tx->Get(RecordKey::Setting()));
  if (raced) return Status::Conflict("another format of the same engine ran at the same time");
  MetaTxn& b = *tx;
  if (f.trash_days > 0) {
    b.Put(RecordKey::Attr(kTrashInode), EncodeAttr(RootLikeDir(0555, now)));
    b.Put(RecordKey::DirStat(kTrashInode), EncodeDirStat({}));
  }
  b.Put(RecordKey::Setting(), EncodeSetting(f));
  b.Put(RecordKey::Attr(kRootInode), EncodeAttr(RootLikeDir(0777, now)));
  b.Put(RecordKey::Counter("nextInode"), EncodeCounterLE(2));
  b.Put(RecordKey::Counter("nextChunk"), EncodeCounterLE(1));
  // JuiceFS builds these usage records lazily; we write them up front.
  b.Put(RecordKey::DirStat(kRootInode), EncodeDirStat({}));
  Status st = tx->Commit();
  if (!st.ok()) {
    (void)store->Delete("juicefs_uuid");
    return st;
  }
  return f;
}

Result<std::unique_ptr<Volume>> Volume::Open(std::unique_ptr<Meta> meta) {
  auto f = ReadVolumeSetting(meta.get());
  if (!f.ok()) return f.status().Annotate(meta->Describe());
  auto store = OpenVolumeStore(*f);
  if (!store.ok()) return store.status().Annotate("volume " + f->name);
  return Open(std::move(meta), std::move(*store));
}

namespace {

Result<std::shared_ptr<ObjectStore>> OpenBuckets(const VolumeFormat& f) {
  StoreConfig c{f.storage, f.bucket, f.access_key, f.secret_key, f.session_token};
  if (f.shards <= 1) return OpenStore(c);
  std::vector<std::shared_ptr<ObjectStore>> shards;
  for (int i = 0; i < f.shards; i++) {
    JFS_ASSIGN_OR_RETURN(c.bucket, FormatShardName(f.bucket, i));
    JFS_ASSIGN_OR_RETURN(auto s, OpenStore(c));
    shards.push_back(std::move(s));
  }
  return std::shared_ptr<ObjectStore>(Sharded(std::move(shards)));
}

// The cipher of an encrypted volume, or why there is none.
Result<std::shared_ptr<ObjectCipher>> VolumeCipher(const VolumeFormat& f) {
  if (f.encrypt_key == "removed") {
    return Status::InvalidArgument(
        "the volume's encryption key was removed (the setting came from a dump without secrets)");
  }
  const char* pass = getenv("JFS_RSA_PASSPHRASE");
  JFS_ASSIGN_OR_RETURN(auto key, RsaKey::FromPem(f.encrypt_key, pass ? pass : ""));
  return ObjectCipher::Make(std::move(key), f.encrypt_algo);
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenVolumeStore(const VolumeFormat& sealed) {
  JFS_ASSIGN_OR_RETURN(VolumeFormat f, OpenSecrets(sealed));
  JFS_ASSIGN_OR_RETURN(std::shared_ptr<ObjectStore> base, OpenBuckets(f));
  auto store = WithPrefix(std::move(base), f.name + "/");
  if (f.encrypt_key.empty()) return store;
  auto cipher = VolumeCipher(f);
  if (!cipher.ok()) return WithEncryption(std::move(store), nullptr, cipher.status());
  return WithEncryption(std::move(store), std::move(*cipher));
}

Volume::Volume(std::unique_ptr<Meta> m, std::unique_ptr<ObjectStore> s, VolumeFormat f)
    : meta_(std::move(m)), store_(std::move(s)), format_(std::move(f)) {
  auto codec = BlockCodec::ForSetting(format_.compression);
  if (codec.ok()) {
    codec_ = *codec;
  } else {
    codec_status_ = codec.status();
  }
}

Result<std::unique_ptr<Volume>> Volume::Open(std::unique_ptr<Meta> meta,
                                             std::unique_ptr<ObjectStore> store) {
  JFS_ASSIGN_OR_RETURN(VolumeFormat f, ReadVolumeSetting(meta.get()));
  bool quotas = false;  // any QD, QU or QG record
  for (RecordKind k : {RecordKind::kDirQuota, RecordKind::kUserQuota, RecordKind::kGroupQuota}) {
    JFS_RETURN_IF_ERROR(meta->Scan(RecordRange::Kind(k), [&](const RecordKey&, auto) {
      quotas = true;
      return false;
    }));
  }
  std::unique_ptr<Volume> vol(new Volume(std::move(meta), std::move(store), std::move(f)));
  vol->write_refusal_ =
      fsi::WriteRefusal(vol->format_.user_group_quota, quotas, vol->format_.change_log);
  vol->maintenance_refusal_ = fsi::WriteRefusal(false, false, vol->format_.change_log);
  return vol;
}

Result<uint64_t> Volume::Allocate(Batch* b, std::string_view counter, uint64_t size) {
  std::lock_guard l(alloc_mu_);
  if (b->next >= b->end) {
    // Take [v, v+size) by raising the counter to v+size, as JuiceFS's incrBy.
    uint64_t got = 0;
    JFS_RETURN_IF_ERROR(meta_->Transact([&](MetaTxn& tx) {
      RecordKey key = RecordKey::Counter(counter);
      JFS_ASSIGN_OR_RETURN(auto v, tx.Get(key));
      int64_t cur = 0;
      if (v) {
        JFS_ASSIGN_OR_RETURN(cur, DecodeCounterLE(*v));
      }
      got = static_cast<uint64_t>(cur) + size;
      tx.Put(key, EncodeCounterLE(static_cast<int64_t>(got)));
      return Status::OK();
    }));
    b->next = got - size;
    b->end = got;
  }
  return b->next++;
}

Result<Ino> Volume::NextInode() {
  while (true) {
    JFS_ASSIGN_OR_RETURN(uint64_t ino, Allocate(&inodes_, "nextInode", kInodeBatch));
    if (ino > kRootInode) return ino;
  }
}

Result<uint64_t> Volume::NextSliceId() {
  while (true) {
    JFS_ASSIGN_OR_RETURN(uint64_t id, Allocate(&slices_, "nextChunk", kSliceBatch));
    if (id > 0) return id;
  }
}

Result<int64_t> Volume::Counter(std::string_view name) {
  JFS_ASSIGN_OR_RETURN(auto v, meta_->Get(RecordKey::Counter(name)));
  if (!v) return int64_t{0};
  return IsTimestampCounter(name) ? DecodeCounterBE(*v) : DecodeCounterLE(*v);
}

}  // namespace jfsbr
