// The little XML S3 speaks: flat elements with text, read without a parser
// library. Private to the S3 store (and its tests).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jfsbr::s3xml {

// The inner text of every <name>...</name> element in doc, in order (not
// unescaped; nested elements are returned as raw XML).
std::vector<std::string_view> Elements(std::string_view doc, std::string_view name);
// The unescaped text of the first <name> element, or "" if none.
std::string Text(std::string_view doc, std::string_view name);
// Resolves &amp; &lt; &gt; &quot; &apos; and numeric (&#N; &#xH;) references.
std::string Unescape(std::string_view s);
// Escapes & < > " ' for element text.
std::string Escape(std::string_view s);

}  // namespace jfsbr::s3xml
