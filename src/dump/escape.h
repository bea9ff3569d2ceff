// JuiceFS's escaping of names, symlink targets and xattr values in JSON dumps
// (juicefs-formats.md §3.3).
//
// Escape walks the UTF-8 runes of s and writes "%XX" (uppercase hex of one
// byte) for an invalid byte, for every rune <= 0x20 (space included), and for
// '%', '"' and '\'; everything else is copied. JuiceFS's quirk is kept: a real
// U+FFFD (EF BF BD) is taken for an invalid byte, so only "%EF" is written and
// its other two bytes are dropped. Unescape turns every "%" followed by two
// uppercase hex digits back into that byte and copies anything else.
#pragma once

#include <string>
#include <string_view>

namespace jfsbr {

std::string Escape(std::string_view s);
// Escape(s), appended to out.
void AppendEscaped(std::string* out, std::string_view s);
std::string Unescape(std::string_view s);

}  // namespace jfsbr
