// jfsbr: back up, restore and recover JuiceFS-format volumes.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/command.h"

namespace jfsbr::cli {
namespace {

void PrintUsage() {
  std::cout << "jfsbr: metadata backup, restore and recovery for JuiceFS-format volumes\n\n"
               "Usage: jfsbr COMMAND [ARGS] [FLAGS]   (jfsbr COMMAND --help for details)\n\n"
               "Commands:\n";
  for (const auto& c : Commands()) {
    std::string head(c.name);
    head.resize(10, ' ');
    std::cout << "  " << head << c.summary << "\n";
  }
  std::cout << "\nMETA-URL: rocksdb://PATH (embedded, default) or memkv://NAME (tests)\n";
}

void PrintHelp(const Command& c) {
  std::cout << "Usage: jfsbr " << c.name << " " << c.usage << " [FLAGS]\n\n" << c.summary << "\n";
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
}

const FlagSpec* FindFlag(const Command& c, std::string_view name, char short_name) {
  for (const auto& f : c.flags) {
    if ((!name.empty() && f.name == name) || (short_name && f.short_name == short_name)) return &f;
  }
  return nullptr;
}

// Parses argv[2..]; returns an error message or "".
std::string Parse(const Command& c, int argc, char** argv, Args* out, bool* help) {
  bool only_pos = false;
  for (int i = 2; i < argc; i++) {
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
  if (out->pos.size() < c.min_args || out->pos.size() > c.max_args) {
    return "expected " + std::string(c.usage);
  }
  return "";
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    PrintUsage();
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : Commands()) {
    if (c.name != argv[1]) continue;
    Args args;
    args.command = argv[1];
    bool help = false;
    std::string err = Parse(c, argc, argv, &args, &help);
    if (help) {
      PrintHelp(c);
      return 0;
    }
    if (!err.empty()) {
      std::cerr << "jfsbr " << c.name << ": " << err << " (see jfsbr " << c.name << " --help)\n";
      return 2;
    }
    return c.run(args);
  }
  std::cerr << "jfsbr: unknown command '" << argv[1] << "' (see jfsbr --help)\n";
  return 2;
}

}  // namespace jfsbr::cli

int main(int argc, char** argv) { return jfsbr::cli::Main(argc, argv); }
