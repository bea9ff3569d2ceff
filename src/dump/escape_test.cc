// Escaping as JuiceFS does it, and unescaping back.
#include "dump/escape.h"

#include <gtest/gtest.h>

#include <vector>

namespace jfsbr {
namespace {

TEST(EscapeTest, JuiceFsRules) {
  EXPECT_EQ(Escape("plain-name.txt"), "plain-name.txt");
  EXPECT_EQ(Escape("file name with spaces"), "file%20name%20with%20spaces");
  EXPECT_EQ(Escape("100%"), "100%25");
  EXPECT_EQ(Escape("a\"b\\c"), "a%22b%5Cc");
  EXPECT_EQ(Escape("tab\there\n"), "tab%09here%0A");
  EXPECT_EQ(Escape("\x7f"), "\x7f");  // DEL is kept
  EXPECT_EQ(Escape("果汁%25"), "果汁%2525");
  // GBK bytes: invalid UTF-8 escaped byte by byte, pairs that happen to be
  // valid UTF-8 stay raw (the JuiceFS fixture's "GBK%B9%FB֭%CA%FD...").
  EXPECT_EQ(Escape("GBK\xb9\xfb\xd6\xad\xca\xfd"), "GBK%B9%FB\xd6\xad%CA%FD");
  // A real U+FFFD is taken as invalid: only %EF, the other two bytes drop.
  EXPECT_EQ(Escape("a\xEF\xBF\xBD"
                   "b"),
            "a%EFb");
  EXPECT_EQ(Escape("\xed\xa0\x80"), "%ED%A0%80");  // a surrogate is invalid
}

TEST(EscapeTest, UnescapeIsTheInverse) {
  for (const std::string& s : std::vector<std::string>{"x y", "100%", std::string("\0\xff\xfe", 3),
                                                       "GBK\xb9\xfb\xd6\xad", "%41"}) {
    EXPECT_EQ(Unescape(Escape(s)), s);
  }
  EXPECT_EQ(Unescape("%41%4a%zz%4"), "A%4a%zz%4");  // only uppercase hex pairs decode
  EXPECT_EQ(Unescape("no-percent"), "no-percent");
  EXPECT_EQ(Unescape("end%41"), "endA");
}

}  // namespace
}  // namespace jfsbr
