// jfsbr: back up, restore and recover JuiceFS-format volumes.
//
// Walks the command tree (cli/command.h) down argv, parses the flags the
// command reached declares (anything else is an error naming it), prints
// --help for whichever level asked, and runs the handler.
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/command.h"
#include "meta/registry.h"
#include "util/notice.h"

namespace jfsbr::cli {
namespace {

void PrintList(const std::vector<std::pair<std::string, std::string_view>>& rows) {
  size_t width = 0;
  for (const auto& [name, _] : rows) width = std::max(width, name.size());
  for (const auto& [name, text] : rows) {
    std::string head = name;
    head.resize(width + 2, ' ');
    std::cout << "  " << head << text << "\n";
  }
}

void PrintMetaUrls() { std::cout << "\nMETA-URL:\n" << MetaUrlForms(); }

void PrintUsage() {
  std::cout << "jfsbr: metadata backup, restore and recovery for JuiceFS volumes\n\n"
               "Usage: jfsbr COMMAND [SUBCOMMAND] [ARGS] [FLAGS]   (--help at any level)\n\n"
               "Commands:\n";
  std::vector<std::pair<std::string, std::string_view>> rows;
  for (const Command* c : Commands()) rows.emplace_back(std::string(c->name), c->summary);
  PrintList(rows);
  std::cout << "\nSubcommands:\n";
  for (const Command* c : Commands()) {
    if (c->subcommands.empty()) continue;
    std::string subs;
    for (const Command* s : c->subcommands)
      subs += (subs.empty() ? "" : ", ") + std::string(s->name);
    std::cout << "  " << c->name << ": " << subs << "\n";
  }
  PrintMetaUrls();
}

void PrintHelp(const std::string& path, const Command& c) {
  std::cout << "Usage: jfsbr " << path;
  if (!c.subcommands.empty()) std::cout << (c.run ? " [SUBCOMMAND]" : " SUBCOMMAND");
  if (!c.usage.empty()) std::cout << " " << c.usage;
  if (!c.flags.empty()) std::cout << " [FLAGS]";
  std::cout << "\n\n" << c.summary << "\n";
  if (!c.subcommands.empty()) {
    std::cout << "\nSubcommands (jfsbr " << path << " SUBCOMMAND --help):\n";
    std::vector<std::pair<std::string, std::string_view>> rows;
    for (const Command* s : c.subcommands) rows.emplace_back(std::string(s->name), s->summary);
    PrintList(rows);
  }
  std::cout << "\nFlags:\n";
  for (const auto& f : c.flags) {
    std::string left = "  ";
    left += f.short_name ? std::string("-") + f.short_name + ", " : "    ";
    left += "--" + std::string(f.name);
    if (!f.value.empty()) left += " " + std::string(f.value);
    if (left.size() < 28) left.resize(28, ' ');
    std::cout << left << " " << f.help;
    if (!f.def.empty()) std::cout << " (default: " << f.def << ")";
    std::cout << "\n";
  }
  std::cout << "  -h, --help                 show this help\n";
  bool takes_url = c.usage.find("META-URL") != std::string_view::npos;
  for (const auto& f : c.flags) takes_url = takes_url || f.value == "META-URL";
  if (takes_url) PrintMetaUrls();
}

const FlagSpec* FindFlag(const Command& c, std::string_view name, char short_name) {
  for (const auto& f : c.flags) {
    if ((!name.empty() && f.name == name) || (short_name && f.short_name == short_name)) return &f;
  }
  return nullptr;
}

// Parses argv[first..] for command c; returns an error message or "".
std::string Parse(const Command& c, int first, int argc, char** argv, Args* out, bool* help) {
  bool only_pos = false;
  for (int i = first; i < argc; i++) {
    std::string a = argv[i];
    if (only_pos || a.size() < 2 || a[0] != '-') {
      out->pos.push_back(a);
      continue;
    }
    if (a == "--") {
      only_pos = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      *help = true;
      return "";
    }
    std::string name, value;
    bool has_value = false;
    const FlagSpec* f;
    if (a[1] == '-') {
      name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      f = FindFlag(c, name, 0);
    } else {
      if (a.size() != 2) return "unknown flag " + a;
      f = FindFlag(c, "", a[1]);
    }
    if (f == nullptr) return "unknown flag " + a;
    if (!f->value.empty() && !has_value) {
      if (i + 1 >= argc) return "flag --" + std::string(f->name) + " needs a value";
      value = argv[++i];
    } else if (f->value.empty() && has_value) {
      return "flag --" + std::string(f->name) + " takes no value";
    }
    out->flags[std::string(f->name)] = value;
  }
  bool group = c.run == nullptr;  // its arguments are a subcommand's: Main says which
  if (!group && (out->pos.size() < c.min_args || out->pos.size() > c.max_args)) {
    return "expected " + std::string(c.usage.empty() ? "no arguments" : c.usage);
  }
  return "";
}

const Command* FindSub(const Command& c, std::string_view name) {
  for (const Command* s : c.subcommands) {
    if (s->name == name) return s;
  }
  return nullptr;
}

}  // namespace

int Main(int argc, char** argv) {
  // A peer that goes away (a Redis server killed mid-load, a reader of
  // stdout that quit) makes writes fail with EPIPE, reported in one line,
  // instead of killing jfsbr silently: hiredis and OpenSSL send without
  // MSG_NOSIGNAL.
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    PrintUsage();
    return argc < 2 ? 2 : 0;
  }
  const Command* c = nullptr;
  for (const Command* top : Commands()) {
    if (top->name == argv[1]) c = top;
  }
  if (c == nullptr) {
    std::cerr << "jfsbr: unknown command '" << argv[1] << "' (see jfsbr --help)\n";
    return 2;
  }
  std::string path(c->name);
  int next = 2;
  while (next < argc) {
    const Command* sub = FindSub(*c, argv[next]);
    if (sub == nullptr) break;
    c = sub;
    path += " " + std::string(sub->name);
    next++;
  }
  Args args;
  args.command = path;
  // What the library waits on (a cluster that does not answer) shows at once.
  SetNoticeHandler(
      [path](std::string_view m) { std::cerr << "jfsbr " << path << ": " << m << "\n"; });
  bool help = false;
  std::string err = Parse(*c, next, argc, argv, &args, &help);
  if (help) {
    PrintHelp(path, *c);
    return 0;
  }
  if (err.empty() && c->run == nullptr) {
    std::string subs;
    for (const Command* s : c->subcommands)
      subs += (subs.empty() ? "" : ", ") + std::string(s->name);
    err = args.pos.empty() ? "needs a subcommand: " + subs
                           : "unknown subcommand '" + args.pos[0] + "' (one of: " + subs + ")";
  }
  if (!err.empty()) {
    std::cerr << "jfsbr " << path << ": " << err << " (see jfsbr " << path << " --help)\n";
    return 2;
  }
  return c->run(args);
}

}  // namespace jfsbr::cli

int main(int argc, char** argv) { return jfsbr::cli::Main(argc, argv); }
