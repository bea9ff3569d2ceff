// format, status, ls, stat, cat, mkdir, rm, info.
#include <unistd.h>

#include <charconv>
#include <climits>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "backup/restore_guard.h"
#include "cli/command.h"
#include "meta/registry.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/json.h"

namespace jfsbr::cli {
namespace {

int RunFormat(const Args& a) {
  FormatOptions o;
  o.name = a.pos[1];
  o.storage = a.Get("storage", "file");
  o.bucket = a.Get("bucket");
  if (o.bucket.empty()) {
    return Fail(a, Status::InvalidArgument(
                       "--bucket is required (a directory, or http://HOST:PORT/BUCKET for s3)"));
  }
  // As JuiceFS: flags, else the environment (kept in the setting).
  auto flag_or_env = [&](const char* flag, const char* env) {
    const char* v = getenv(env);
    return a.Get(flag, v != nullptr ? v : "");
  };
  o.access_key = flag_or_env("access-key", "ACCESS_KEY");
  o.secret_key = flag_or_env("secret-key", "SECRET_KEY");
  o.session_token = flag_or_env("session-token", "SESSION_TOKEN");
  auto bs = a.GetUint("block-size", 4096);
  auto trash = a.GetUint("trash-days", 1);
  if (!bs.ok()) return Fail(a, bs.status());
  if (!trash.ok()) return Fail(a, trash.status());
  o.block_size_kib = *bs;
  o.trash_days = static_cast<int64_t>(*trash);
  o.hash_prefix = a.Has("hash-prefix");
  o.force = a.Has("force");
  o.compression = a.Get("compress", "none");
  o.encrypt_algo = a.Get("encrypt-algo", "aes256gcm-rsa");
  if (std::string path = a.Get("encrypt-rsa-key"); !path.empty()) {
    std::ifstream in(path);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in) return Fail(a, Status::IOError("cannot read the key file " + path));
    o.encrypt_key_pem = pem.str();
    // Checked now, so a volume is never formatted with a key it cannot use.
    const char* pass = getenv("JFS_RSA_PASSPHRASE");
    auto key = RsaKey::FromPem(o.encrypt_key_pem, pass ? pass : "");
    if (!key.ok()) return Fail(a, key.status());
  }
  // Check what can be checked before a database is created.
  if (Status st = CheckVolumeName(o.name); !st.ok()) return Fail(a, st);
  auto engine = OpenMeta(a.pos[0], /*create=*/true);
  if (!engine.ok()) return Fail(a, engine.status());
  auto f = FormatVolume(engine->get(), o);
  if (!f.ok()) return Fail(a, f.status());
  std::cout << "volume " << f->name << " formatted in " << (*engine)->Describe() << "\n"
            << EncodeSetting(RedactSecrets(*f, true)) << "\n";
  return 0;
}

const char* const kCounterNames[] = {"usedSpace", "totalInodes", "nextInode",
                                     "nextChunk", "nextSession", "nextTrash"};

int RunStatus(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  std::string out = "{\n  \"Engine\": ";
  AppendGoQuoted(&out, (*vol)->meta()->Describe());
  auto version = (*vol)->meta()->Version();
  if (!version.ok()) return Fail(a, version.status());
  out += ",\n  \"Version\": " + std::to_string(*version);
  auto stats = (*vol)->meta()->Stats();
  if (!stats.empty()) {
    out += ",\n  \"EngineStats\": {";
    for (size_t i = 0; i < stats.size(); i++) {
      out += std::string(i ? "," : "") + "\n    \"" + stats[i].first + "\": ";
      // Re-indent nested lines one level deeper.
      for (char c : stats[i].second) out += c == '\n' ? std::string("\n  ") : std::string(1, c);
    }
    out += "\n  }";
  }
  out += ",\n  \"Setting\": ";
  AppendFormatJson(&out, RedactSecrets((*vol)->format(), true), "  ", 1);
  out += ",\n  \"Counters\": {";
  bool first = true;
  for (const char* name : kCounterNames) {
    auto v = (*vol)->Counter(name);
    if (!v.ok()) return Fail(a, v.status());
    out += std::string(first ? "" : ",") + "\n    \"" + name + "\": " + std::to_string(*v);
    first = false;
  }
  out += "\n  }";
  // Where this metadata came from, if a restore put it over a bucket that
  // had lived on (backup/restore_guard.h).
  auto marks = ListRestoreMarks((*vol)->store());
  if (!marks.ok()) return Fail(a, marks.status().Annotate("reading the bucket's restore marks"));
  if (!marks->empty()) {
    out += ",\n  \"Restores\": [";
    for (size_t i = 0; i < marks->size(); i++) {
      std::string mark = EncodeRestoreMark((*marks)[i]);
      mark.pop_back();  // its newline
      out += std::string(i ? ", " : "");
      for (char c : mark) out += c == '\n' ? std::string("\n  ") : std::string(1, c);
    }
    out += "]";
  }
  out += "\n}\n";
  std::cout << out;
  return 0;
}

std::string ModeString(const Attr& at) {
  static const char kType[] = "?-dlpbcs";
  std::string s(1, kType[static_cast<int>(at.type)]);
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; i++) s += (at.mode & (0400 >> i)) ? rwx[i] : '-';
  if (at.mode & 04000) s[3] = (at.mode & 0100) ? 's' : 'S';
  if (at.mode & 02000) s[6] = (at.mode & 0010) ? 's' : 'S';
  if (at.mode & 01000) s[9] = (at.mode & 0001) ? 't' : 'T';
  return s;
}

std::string TimeString(int64_t sec) { return FormatTime(sec, "%Y-%m-%d %H:%M:%S", false); }

std::string PathOrRoot(const Args& a, size_t i) { return a.pos.size() > i ? a.pos[i] : "/"; }

int RunLs(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  std::string path = PathOrRoot(a, 1);
  auto ino = (*vol)->Resolve(path);
  if (!ino.ok()) return Fail(a, ino.status());
  auto entries = (*vol)->ReadDir(*ino);
  if (!entries.ok()) return Fail(a, entries.status());
  for (const auto& e : *entries) {
    auto at = (*vol)->GetAttr(e.dentry.ino);
    if (!at.ok()) return Fail(a, at.status().Annotate(e.name));
    char line[160];
    snprintf(line, sizeof(line), "%s %3u %5u %5u %12llu %s ", ModeString(*at).c_str(), at->nlink,
             at->uid, at->gid, static_cast<unsigned long long>(at->length),
             TimeString(at->mtime).c_str());
    std::cout << line << e.name;
    if (at->type == FileType::kSymlink) {
      auto target = (*vol)->ReadLink(e.dentry.ino);
      if (target.ok()) std::cout << " -> " << *target;
    }
    std::cout << "\n";
  }
  return 0;
}

int RunStat(const Args& a) {
  return ForEachPath(a, [](Volume*, const std::string& path, Ino ino, const Attr& at) {
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", at.mode);
    std::cout << "  path: " << path << "\n inode: " << ino << "\n  type: " << FileTypeName(at.type)
              << "\n  mode: " << mode << " (" << ModeString(at) << ")\n nlink: " << at.nlink
              << "\n   uid: " << at.uid << "\n   gid: " << at.gid << "\nlength: " << at.length
              << "\n atime: " << at.atime << "." << at.atimensec << "\n mtime: " << at.mtime << "."
              << at.mtimensec << "\n ctime: " << at.ctime << "." << at.ctimensec
              << "\nparent: " << at.parent << "\n flags: " << int{at.flags} << "\n";
    return Status::OK();
  });
}

int RunCat(const Args& a) {
  int rc = ForEachPath(a, [](Volume* vol, const std::string&, Ino ino, const Attr& at) {
    for (uint64_t off = 0; off < at.length; off += 4 << 20) {
      JFS_ASSIGN_OR_RETURN(std::string data, vol->Read(ino, off, 4 << 20));
      std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    }
    return Status::OK();
  });
  std::cout.flush();
  return rc != 0 ? rc : std::cout.good() ? 0 : 1;
}

// Splits "/a/b/c" into parent path "/a/b" and name "c".
std::pair<std::string, std::string> SplitPath(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  if (slash == std::string::npos) return {"/", p};
  return {slash == 0 ? "/" : p.substr(0, slash), p.substr(slash + 1)};
}

int RunMkdir(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  std::string mode_text = a.Get("mode", "755");
  unsigned mode = 0;
  auto r = std::from_chars(mode_text.data(), mode_text.data() + mode_text.size(), mode, 8);
  if (r.ec != std::errc() || r.ptr != mode_text.data() + mode_text.size() || mode > 07777) {
    return Fail(a, Status::InvalidArgument("--mode expects octal permission bits, got '" +
                                           mode_text + "'"));
  }
  NodeSpec spec;
  spec.mode = static_cast<uint16_t>(mode);
  spec.uid = getuid(), spec.gid = getgid();
  for (size_t i = 1; i < a.pos.size(); i++) {
    const std::string& path = a.pos[i];
    if (path.empty() || path[0] != '/')
      return Fail(a, Status::InvalidArgument("path '" + path + "' is not absolute"));
    Ino cur = kRootInode;
    std::string walked;
    size_t pos = 1;
    while (pos <= path.size()) {
      size_t next = std::min(path.find('/', pos), path.size());
      std::string part = path.substr(pos, next - pos);
      pos = next + 1;
      if (part.empty()) continue;
      walked += "/" + part;
      bool last = pos > path.size();
      auto d = (*vol)->Lookup(cur, part);
      if (d.ok() && (!last || a.Has("parents"))) {
        cur = d->ino;
        continue;
      }
      if (!d.ok() && !d.status().Is(Code::kNotFound)) return Fail(a, d.status());
      if (!last && !a.Has("parents")) {
        return Fail(a, Status::NotFound("no such directory: " + walked + " (use -p)"));
      }
      auto made = (*vol)->Mkdir(cur, part, spec);
      if (!made.ok()) return Fail(a, made.status().Annotate(walked));
      cur = *made;
    }
  }
  return 0;
}

Status RemoveTree(Volume* vol, Ino parent, const std::string& name) {
  auto d = vol->Lookup(parent, name);
  if (!d.ok()) return d.status();
  if (d->type != FileType::kDirectory) return vol->Unlink(parent, name);
  JFS_ASSIGN_OR_RETURN(auto entries, vol->ReadDir(d->ino));
  for (const auto& e : entries) JFS_RETURN_IF_ERROR(RemoveTree(vol, d->ino, e.name));
  return vol->Rmdir(parent, name);
}

int RunRm(const Args& a) {
  auto vol = OpenVolume(a.pos[0]);
  if (!vol.ok()) return Fail(a, vol.status());
  for (size_t i = 1; i < a.pos.size(); i++) {
    auto [parent_path, name] = SplitPath(a.pos[i]);
    if (name.empty()) return Fail(a, Status::InvalidArgument("refusing to remove the root"));
    auto parent = (*vol)->Resolve(parent_path);
    if (!parent.ok()) return Fail(a, parent.status());
    Status st;
    if (a.Has("recursive")) {
      st = RemoveTree(vol->get(), *parent, name);
    } else {
      auto d = (*vol)->Lookup(*parent, name);
      st = !d.ok()                           ? d.status()
           : d->type == FileType::kDirectory ? (*vol)->Rmdir(*parent, name)
                                             : (*vol)->Unlink(*parent, name);
    }
    if (!st.ok()) return Fail(a, st.Annotate(a.pos[i]));
  }
  return 0;
}

}  // namespace

const Command kFormatCommand = {
    "format",
    "META-URL NAME",
    "Format a new volume: metadata in META-URL, data in --bucket",
    {{"storage", 0, "TYPE", "object storage type: file or s3", "file"},
     {"bucket", 0, "URL",
      "where data blocks go: a directory (or file:///DIR/) for file; http[s]://HOST[:PORT]/BUCKET "
      "for s3"},
     {"access-key", 0, "KEY", "s3 access key", "$ACCESS_KEY"},
     {"secret-key", 0, "KEY", "s3 secret key (kept in the setting; never shown)", "$SECRET_KEY"},
     {"session-token", 0, "TOKEN", "s3 session token", "$SESSION_TOKEN"},
     {"block-size", 0, "KiB", "block size, rounded down to a power of two in [64, 16384]", "4096"},
     {"trash-days", 0, "N", "days removed files stay in the trash (0: no trash)", "1"},
     {"hash-prefix", 0, "", "spread block objects over 256 hash prefixes"},
     {"compress", 0, "ALGO", "compress blocks: none, lz4 or zstd", "none"},
     {"encrypt-rsa-key", 0, "FILE",
      "encrypt every object with this RSA private key (PEM; passphrase from $JFS_RSA_PASSPHRASE)"},
     {"encrypt-algo", 0, "ALGO", "with --encrypt-rsa-key: aes256gcm-rsa or chacha20-rsa",
      "aes256gcm-rsa"},
     {"force", 0, "", "rewrite the setting of an already formatted volume"}},
    2,
    2,
    RunFormat};
const Command kStatusCommand = {
    "status", "META-URL", "Show the engine, the volume setting (secrets removed) and counters",
    {},       1,          1,
    RunStatus};
const Command kLsCommand = {"ls", "META-URL [PATH]", "List a directory of the volume", {}, 1, 2,
                            RunLs};
const Command kStatCommand = {
    "stat", "META-URL PATH...", "Show the attributes of paths", {}, 2, SIZE_MAX, RunStat};
const Command kCatCommand = {
    "cat", "META-URL PATH...", "Write files of the volume to stdout", {}, 2, SIZE_MAX, RunCat};
const Command kMkdirCommand = {
    "mkdir",
    "META-URL PATH...",
    "Make directories",
    {{"parents", 'p', "", "make parents as needed, no error if existing"},
     {"mode", 0, "OCTAL", "permission bits", "755"}},
    2,
    SIZE_MAX,
    RunMkdir};
const Command kRmCommand = {"rm",
                            "META-URL PATH...",
                            "Remove files or directories (to the trash when the volume keeps one)",
                            {{"recursive", 'r', "", "remove directories and their contents"}},
                            2,
                            SIZE_MAX,
                            RunRm};

}  // namespace jfsbr::cli
