//===- TextLexer.h - tokens of fxir text (internal to the parser) --------------===//
//
// The lexer of the text format (docs/ir.md): names with their sigils (`%x`, `@g`,
// `^0`, `#3`), numbers, strings with escapes, punctuation and `//` comments. It keeps
// line bookkeeping as it moves, so every token carries its line and column at no cost
// per op. Used by Parser.cpp only; not part of the installed API.
//
// Does not: know the grammar (Parser.cpp does).
//===----------------------------------------------------------------------------===//
#pragma once

#include <string>

#include "llvm/ADT/StringRef.h"

namespace fxir::text {

enum class Tok {
  Eof, Error, Ident, Value, AtName, Caret, Hash, Int, Float, String,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, LAngle, RAngle,
  Comma, Colon, Equal, Arrow, Minus, Plus, Star, Question,
};

struct Token {
  Tok kind = Tok::Eof;
  llvm::StringRef text; // spelling (for Value/AtName/Hash/Caret: without the sigil)
  const char *loc = nullptr;
  unsigned line = 0, col = 0; // of `loc`, 1-based
  std::string strValue; // decoded String
};

class Lexer {
public:
  explicit Lexer(llvm::StringRef buf) : buf_(buf), cur_(buf.begin()) {}

  /// The next token; an Error token leaves its message in error().
  Token next();
  const std::string &error() const { return error_; }
  llvm::StringRef buffer() const { return buf_; }
  /// Continues lexing at `p`, which must be on the current line.
  void resetTo(const char *p) { cur_ = p; }

private:
  llvm::StringRef buf_;
  const char *cur_;
  std::string error_;
  // Line bookkeeping, kept as the lexer moves, so locations cost nothing per op.
  unsigned line_ = 1;
  const char *lineStart_ = buf_.begin();

  static bool isNameChar(char c);
  void skipSpaceAndComments();
  Token lexToken();
  Token lexNumber();
  Token lexString();
};

} // namespace fxir::text
