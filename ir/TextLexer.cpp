//===- TextLexer.cpp - tokens of fxir text -------------------------------------===//
#include "fxir/ir/TextLexer.h"

#include <cctype>
#include <string>

#include "llvm/ADT/StringExtras.h"

namespace fxir::text {

bool Lexer::isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

Token Lexer::next() {
  skipSpaceAndComments();
  Token t = lexToken();
  t.line = line_;
  t.col = static_cast<unsigned>(t.loc - lineStart_) + 1;
  return t;
}

Token Lexer::lexToken() {
  Token t;
  t.loc = cur_;
  if (cur_ == buf_.end()) {
    t.kind = Tok::Eof;
    return t;
  }
  char c = *cur_;
  auto single = [&](Tok k) {
    ++cur_;
    t.kind = k;
    t.text = llvm::StringRef(t.loc, 1);
    return t;
  };
  switch (c) {
  case '(': return single(Tok::LParen);
  case ')': return single(Tok::RParen);
  case '[': return single(Tok::LBracket);
  case ']': return single(Tok::RBracket);
  case '{': return single(Tok::LBrace);
  case '}': return single(Tok::RBrace);
  case '<': return single(Tok::LAngle);
  case '>': return single(Tok::RAngle);
  case ',': return single(Tok::Comma);
  case ':': return single(Tok::Colon);
  case '=': return single(Tok::Equal);
  case '+': return single(Tok::Plus);
  case '*': return single(Tok::Star);
  case '?': return single(Tok::Question);
  case '-':
    if (cur_ + 1 != buf_.end() && cur_[1] == '>') {
      cur_ += 2;
      t.kind = Tok::Arrow;
      t.text = llvm::StringRef(t.loc, 2);
      return t;
    }
    return single(Tok::Minus);
  case '"':
    return lexString();
  case '%': case '@': case '^': case '#': {
    ++cur_;
    const char *start = cur_;
    // `@` names may hold device text such as cuda:0.
    while (cur_ != buf_.end() &&
           (isNameChar(*cur_) || (c == '@' && *cur_ == ':')))
      ++cur_;
    if (start == cur_) {
      t.kind = Tok::Error;
      error_ = std::string("expected a name after `") + c + "`";
      return t;
    }
    t.text = llvm::StringRef(start, cur_ - start);
    t.kind = c == '%' ? Tok::Value : c == '@' ? Tok::AtName : c == '^' ? Tok::Caret : Tok::Hash;
    return t;
  }
  default:
    break;
  }
  if (std::isdigit(static_cast<unsigned char>(c)))
    return lexNumber();
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    const char *start = cur_;
    while (cur_ != buf_.end() && (isNameChar(*cur_)))
      ++cur_;
    t.kind = Tok::Ident;
    t.text = llvm::StringRef(start, cur_ - start);
    return t;
  }
  t.kind = Tok::Error;
  error_ = std::string("unexpected character `") +
           (std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c)
                                                        : "\\x" + llvm::utohexstr(
                                                                      static_cast<unsigned char>(c))) +
           "`";
  ++cur_;
  return t;
}

void Lexer::skipSpaceAndComments() {
  while (cur_ != buf_.end()) {
    if (*cur_ == '\n') {
      ++cur_;
      ++line_;
      lineStart_ = cur_;
    } else if (std::isspace(static_cast<unsigned char>(*cur_))) {
      ++cur_;
    } else if (*cur_ == '/' && cur_ + 1 != buf_.end() && cur_[1] == '/') {
      while (cur_ != buf_.end() && *cur_ != '\n')
        ++cur_;
    } else {
      break;
    }
  }
}

Token Lexer::lexNumber() {
  Token t;
  t.loc = cur_;
  bool isFloat = false;
  while (cur_ != buf_.end() && std::isdigit(static_cast<unsigned char>(*cur_)))
    ++cur_;
  if (cur_ != buf_.end() && *cur_ == '.') {
    isFloat = true;
    ++cur_;
    while (cur_ != buf_.end() && std::isdigit(static_cast<unsigned char>(*cur_)))
      ++cur_;
  }
  if (cur_ != buf_.end() && (*cur_ == 'e' || *cur_ == 'E')) {
    const char *save = cur_;
    ++cur_;
    if (cur_ != buf_.end() && (*cur_ == '+' || *cur_ == '-'))
      ++cur_;
    if (cur_ != buf_.end() && std::isdigit(static_cast<unsigned char>(*cur_))) {
      isFloat = true;
      while (cur_ != buf_.end() && std::isdigit(static_cast<unsigned char>(*cur_)))
        ++cur_;
    } else {
      cur_ = save;
    }
  }
  t.kind = isFloat ? Tok::Float : Tok::Int;
  t.text = llvm::StringRef(t.loc, cur_ - t.loc);
  return t;
}

Token Lexer::lexString() {
  Token t;
  t.loc = cur_;
  ++cur_;
  while (true) {
    if (cur_ == buf_.end() || *cur_ == '\n') {
      t.kind = Tok::Error;
      error_ = "unterminated string";
      return t;
    }
    char c = *cur_++;
    if (c == '"')
      break;
    if (c != '\\') {
      t.strValue += c;
      continue;
    }
    if (cur_ == buf_.end()) {
      t.kind = Tok::Error;
      error_ = "unterminated string";
      return t;
    }
    char e = *cur_++;
    switch (e) {
    case '"': t.strValue += '"'; break;
    case '\\': t.strValue += '\\'; break;
    case 'n': t.strValue += '\n'; break;
    case 't': t.strValue += '\t'; break;
    case 'x': {
      if (buf_.end() - cur_ < 2 || !std::isxdigit(static_cast<unsigned char>(cur_[0])) ||
          !std::isxdigit(static_cast<unsigned char>(cur_[1]))) {
        t.kind = Tok::Error;
        error_ = "`\\x` needs two hex digits";
        return t;
      }
      t.strValue += static_cast<char>(std::stoi(std::string(cur_, 2), nullptr, 16));
      cur_ += 2;
      break;
    }
    default:
      t.kind = Tok::Error;
      error_ = std::string("unknown escape `\\") + e + "` in string";
      return t;
    }
  }
  t.kind = Tok::String;
  t.text = llvm::StringRef(t.loc, cur_ - t.loc);
  return t;
}

} // namespace fxir::text
