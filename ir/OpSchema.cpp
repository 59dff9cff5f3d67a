//===- OpSchema.cpp - schema parser, printer and table ---------------------------===//
//
// A recursive-descent parser for the schema strings c10 prints, and a printer that
// gives the same text back (tests check parse -> print over the whole table).
//===----------------------------------------------------------------------------===//
#include "fxir/ir/OpSchema.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"

namespace fxir {

//===----------------------------------------------------------------------------===//
// Types and schemas: queries and printing
//===----------------------------------------------------------------------------===//

namespace {
// Calls f on every node of the type tree (the type, then its elements), pre-order.
template <typename F> void forEachNode(const SchemaType &t, F &&f) {
  f(t);
  for (const SchemaType &e : t.elems)
    forEachNode(e, f);
}
} // namespace

const SchemaType &SchemaType::stripOptional() const {
  return kind == Kind::Optional ? elems[0].stripOptional() : *this;
}

bool SchemaType::containsTensor() const {
  bool found = false;
  forEachNode(*this, [&](const SchemaType &n) { found |= n.kind == Kind::Tensor; });
  return found;
}

const AliasInfo *SchemaType::anyAlias() const {
  const AliasInfo *found = nullptr;
  forEachNode(*this, [&](const SchemaType &n) {
    if (!found && n.alias)
      found = &*n.alias;
  });
  return found;
}

namespace {
std::string_view baseName(SchemaType::Kind k) {
  using K = SchemaType::Kind;
  switch (k) {
  case K::Tensor: return "Tensor";
  case K::Int: return "int";
  case K::SymInt: return "SymInt";
  case K::Float: return "float";
  case K::SymFloat: return "SymFloat";
  case K::Bool: return "bool";
  case K::SymBool: return "SymBool";
  case K::Complex: return "complex";
  case K::Str: return "str";
  case K::Scalar: return "Scalar";
  case K::ScalarType: return "ScalarType";
  case K::Layout: return "Layout";
  case K::Device: return "Device";
  case K::MemoryFormat: return "MemoryFormat";
  case K::Generator: return "Generator";
  case K::Storage: return "Storage";
  case K::Stream: return "Stream";
  case K::QScheme: return "QScheme";
  case K::Any: return "Any";
  default: return "";
  }
}

std::optional<SchemaType::Kind> kindFromBaseName(std::string_view s) {
  using K = SchemaType::Kind;
  for (K k : {K::Tensor, K::Int, K::SymInt, K::Float, K::SymFloat, K::Bool, K::SymBool,
              K::Complex, K::Str, K::Scalar,
              K::ScalarType, K::Layout, K::Device, K::MemoryFormat, K::Generator,
              K::Storage, K::Stream, K::QScheme, K::Any})
    if (baseName(k) == s)
      return k;
  return std::nullopt;
}

void printAlias(const AliasInfo &a, std::string &out) {
  out += '(';
  out += llvm::join(a.beforeSets, "|");
  if (a.isWrite)
    out += '!';
  if (!a.afterSets.empty()) {
    out += " -> ";
    out += llvm::join(a.afterSets, "|");
  }
  out += ')';
}

void printType(const SchemaType &t, std::string &out) {
  using K = SchemaType::Kind;
  switch (t.kind) {
  case K::Optional:
    printType(t.elems[0], out);
    out += '?';
    break;
  case K::List:
    printType(t.elems[0], out);
    out += '[';
    if (t.fixedSize >= 0)
      out += std::to_string(t.fixedSize);
    out += ']';
    break;
  case K::Dict:
    out += "Dict(";
    printType(t.elems[0], out);
    out += ", ";
    printType(t.elems[1], out);
    out += ')';
    break;
  case K::CustomClass:
    out += t.className;
    break;
  default:
    out += baseName(t.kind);
  }
  if (t.alias)
    printAlias(*t.alias, out);
}
} // namespace

std::string SchemaType::str() const {
  std::string out;
  printType(*this, out);
  return out;
}

std::string OpSchema::qualifiedName() const { return ns + "::" + name; }

std::string OpSchema::fullName() const {
  return overload.empty() ? qualifiedName() : qualifiedName() + "." + overload;
}

std::string OpSchema::str() const {
  std::string out = fullName() + "(";
  bool first = true;
  bool kwargMarked = false;
  auto sep = [&] {
    if (!first)
      out += ", ";
    first = false;
  };
  for (const SchemaArgument &a : arguments) {
    if (a.kwargOnly && !kwargMarked) {
      sep();
      out += '*';
      kwargMarked = true;
    }
    sep();
    printType(a.type, out);
    out += ' ';
    out += a.name;
    if (a.defaultValue) {
      out += '=';
      out += a.defaultValue->text;
    }
  }
  if (varArgs) {
    sep();
    out += "...";
  }
  out += ") -> ";
  if (varRets) {
    out += "...";
    return out;
  }
  if (tupleReturn)
    out += '(';
  for (size_t i = 0; i < returns.size(); ++i) {
    if (i)
      out += ", ";
    printType(returns[i].type, out);
    if (!returns[i].name.empty())
      out += " " + returns[i].name;
  }
  if (tupleReturn)
    out += ')';
  return out;
}

bool OpSchema::hasTag(std::string_view tag) const {
  return llvm::is_contained(tags, tag);
}

llvm::SmallVector<unsigned, 2> OpSchema::writtenArguments() const {
  llvm::SmallVector<unsigned, 2> out;
  for (unsigned i = 0; i < arguments.size(); ++i) {
    // A write annotation can sit on the tensor (`Tensor(a!)`, `Tensor(a!)[]`) or on
    // the list (`Tensor[](a!)`).
    bool written = false;
    forEachNode(arguments[i].type,
                [&](const SchemaType &n) { written |= n.alias && n.alias->isWrite; });
    if (written)
      out.push_back(i);
  }
  return out;
}

std::optional<unsigned> OpSchema::aliasedArgument(unsigned resultIndex) const {
  if (resultIndex >= returns.size())
    return std::nullopt;
  const AliasInfo *r = returns[resultIndex].type.anyAlias();
  if (!r)
    return std::nullopt;
  for (unsigned i = 0; i < arguments.size(); ++i) {
    const AliasInfo *a = arguments[i].type.anyAlias();
    if (!a)
      continue;
    for (const std::string &set : r->beforeSets)
      if (set != "*" && llvm::is_contained(a->beforeSets, set))
        return i;
  }
  return std::nullopt;
}

std::optional<unsigned> OpSchema::aliasedArgumentOfResult(unsigned resultIndex) const {
  bool listTail = !returns.empty() && returns.back().type.stripOptional().isList();
  if (listTail && resultIndex + 1 >= returns.size())
    resultIndex = static_cast<unsigned>(returns.size() - 1);
  return aliasedArgument(resultIndex);
}

std::optional<unsigned> OpSchema::argumentIndex(std::string_view argName) const {
  for (unsigned i = 0; i < arguments.size(); ++i)
    if (arguments[i].name == argName)
      return i;
  return std::nullopt;
}

//===----------------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------------===//

namespace {
class SchemaParser {
public:
  explicit SchemaParser(std::string_view text) : text_(text) {}

  absl::StatusOr<OpSchema> parse() {
    OpSchema s;
    std::string qualified = ident(/*allowDots=*/false);
    if (qualified.empty() || !consume("::"))
      return fail("expected `namespace::name`");
    s.ns = qualified;
    s.name = ident(false);
    if (s.name.empty())
      return fail("expected an operator name after `::`");
    if (consume(".")) {
      s.overload = ident(false);
      if (s.overload.empty())
        return fail("expected an overload name after `.`");
    }
    if (!consume("("))
      return fail("expected `(` to open the argument list");
    bool kwargOnly = false;
    if (!consume(")")) {
      while (true) {
        skipSpace();
        if (consume("...")) {
          s.varArgs = true;
        } else if (consume("*")) {
          kwargOnly = true;
        } else {
          SchemaArgument a;
          a.kwargOnly = kwargOnly;
          if (absl::Status st = parseType(a.type); !st.ok())
            return st;
          a.name = ident(false);
          if (a.name.empty())
            return fail("expected an argument name");
          if (consume("=")) {
            DefaultValue d;
            size_t start = pos_;
            if (absl::Status st = parseDefault(d); !st.ok())
              return st;
            d.text = std::string(text_.substr(start, pos_ - start));
            a.defaultValue = std::move(d);
          }
          s.arguments.push_back(std::move(a));
        }
        if (consume(","))
          continue;
        if (consume(")"))
          break;
        return fail("expected `,` or `)` in the argument list");
      }
    }
    if (!consume("->"))
      return fail("expected `->` before the returns");
    skipSpace();
    if (consume("...")) {
      s.varRets = true;
    } else if (peek() == '(') {
      ++pos_;
      s.tupleReturn = true;
      if (!consume(")")) {
        while (true) {
          SchemaReturn r;
          if (absl::Status st = parseReturn(r); !st.ok())
            return st;
          s.returns.push_back(std::move(r));
          if (consume(","))
            continue;
          if (consume(")"))
            break;
          return fail("expected `,` or `)` in the returns");
        }
      }
    } else {
      SchemaReturn r;
      if (absl::Status st = parseReturn(r); !st.ok())
        return st;
      s.returns.push_back(std::move(r));
    }
    skipSpace();
    if (pos_ != text_.size())
      return fail("unexpected text after the returns");
    return s;
  }

private:
  static constexpr int kMaxDepth = 32;
  struct DepthGuard {
    int &d;
    explicit DepthGuard(int &depth) : d(depth) { ++d; }
    ~DepthGuard() { --d; }
  };
  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < text_.size() && text_[pos_] == ' ')
      ++pos_;
  }
  bool consume(std::string_view tok) {
    skipSpace();
    if (text_.substr(pos_, tok.size()) != tok)
      return false;
    pos_ += tok.size();
    return true;
  }
  static bool isIdentChar(char c, bool allowDots) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (allowDots && c == '.');
  }
  std::string ident(bool allowDots) {
    skipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && isIdentChar(text_[pos_], allowDots))
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  absl::Status fail(std::string_view what) const {
    return absl::InvalidArgumentError("schema column " + std::to_string(pos_ + 1) + ": " +
                                      std::string(what) + " in `" + std::string(text_) +
                                      "`");
  }

  absl::Status parseAlias(std::optional<AliasInfo> &out) {
    // Only called when the next char is '('. `(a)`, `(a!)`, `(a|b)`, `(a -> *)`.
    ++pos_;
    AliasInfo a;
    auto sets = [&](llvm::SmallVector<std::string, 1> &into) -> bool {
      do {
        skipSpace();
        if (peek() == '*') {
          ++pos_;
          into.push_back("*");
        } else {
          std::string s = ident(false);
          if (s.empty())
            return false;
          into.push_back(std::move(s));
        }
      } while (consume("|"));
      return true;
    };
    if (!sets(a.beforeSets))
      return fail("expected an alias set name");
    if (consume("!"))
      a.isWrite = true;
    if (consume("->") && !sets(a.afterSets))
      return fail("expected an alias set after `->`");
    if (!consume(")"))
      return fail("expected `)` to close the alias annotation");
    out = std::move(a);
    return absl::OkStatus();
  }

  absl::Status parseType(SchemaType &out) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth)
      return fail("type nested too deeply");
    skipSpace();
    size_t start = pos_;
    std::string base = ident(/*allowDots=*/true);
    if (base.empty())
      return fail("expected a type");
    if (base == "Dict") {
      if (!consume("("))
        return fail("expected `(` after Dict");
      out.kind = SchemaType::Kind::Dict;
      out.elems.resize(2);
      if (absl::Status st = parseType(out.elems[0]); !st.ok())
        return st;
      if (!consume(","))
        return fail("expected `,` in Dict(K, V)");
      if (absl::Status st = parseType(out.elems[1]); !st.ok())
        return st;
      if (!consume(")"))
        return fail("expected `)` to close Dict(K, V)");
    } else if (std::optional<SchemaType::Kind> k = kindFromBaseName(base)) {
      out.kind = *k;
    } else if (llvm::StringRef(base).starts_with("__torch__.")) {
      out.kind = SchemaType::Kind::CustomClass;
      out.className = base;
    } else {
      pos_ = start;
      return fail("unknown type `" + base + "`");
    }
    // Alias annotation directly on the base type: Tensor(a!).
    if (peek() == '(')
      if (absl::Status st = parseAlias(out.alias); !st.ok())
        return st;
    // Suffixes: `?`, `[]`, `[N]`, each list optionally annotated: Tensor[](a!).
    while (true) {
      if (peek() == '?') {
        ++pos_;
        SchemaType opt;
        opt.kind = SchemaType::Kind::Optional;
        opt.elems.push_back(std::move(out));
        out = std::move(opt);
      } else if (peek() == '[') {
        ++pos_;
        SchemaType list;
        list.kind = SchemaType::Kind::List;
        if (std::isdigit(static_cast<unsigned char>(peek()))) {
          size_t digits = pos_;
          while (std::isdigit(static_cast<unsigned char>(peek())))
            ++pos_;
          if (llvm::StringRef(text_.substr(digits, pos_ - digits))
                  .getAsInteger(10, list.fixedSize))
            return fail("list size is out of range");
        }
        if (peek() != ']')
          return fail("expected `]`");
        ++pos_;
        list.elems.push_back(std::move(out));
        out = std::move(list);
        if (peek() == '(')
          if (absl::Status st = parseAlias(out.alias); !st.ok())
            return st;
      } else {
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::Status parseReturn(SchemaReturn &r) {
    if (absl::Status st = parseType(r.type); !st.ok())
      return st;
    size_t save = pos_;
    r.name = ident(false);
    if (r.name.empty())
      pos_ = save;
    return absl::OkStatus();
  }

  absl::Status parseDefault(DefaultValue &d) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth)
      return fail("default value nested too deeply");
    skipSpace();
    char c = peek();
    if (c == '[') {
      ++pos_;
      d.kind = DefaultValue::Kind::List;
      if (consume("]"))
        return absl::OkStatus();
      while (true) {
        DefaultValue e;
        size_t start = pos_;
        if (absl::Status st = parseDefault(e); !st.ok())
          return st;
        e.text = std::string(text_.substr(start, pos_ - start));
        d.elems.push_back(std::move(e));
        if (consume(","))
          continue;
        if (consume("]"))
          return absl::OkStatus();
        return fail("expected `,` or `]` in a list default");
      }
    }
    if (c == '"' || c == '\'') {
      ++pos_;
      d.kind = DefaultValue::Kind::Str;
      while (pos_ < text_.size() && text_[pos_] != c) {
        char ch = text_[pos_++];
        if (ch != '\\') {
          d.strValue += ch;
          continue;
        }
        if (pos_ >= text_.size())
          break;
        char e = text_[pos_++];
        switch (e) {
        case 'n': d.strValue += '\n'; break;
        case 't': d.strValue += '\t'; break;
        case 'r': d.strValue += '\r'; break;
        case 'a': d.strValue += '\a'; break;
        case 'b': d.strValue += '\b'; break;
        case 'f': d.strValue += '\f'; break;
        case 'v': d.strValue += '\v'; break;
        case '\\': case '\'': case '"': d.strValue += e; break;
        default:
          if (e >= '0' && e <= '7') { // \ooo, as c10 prints other bytes
            int v = e - '0';
            for (int k = 0; k < 2 && pos_ < text_.size() && text_[pos_] >= '0' &&
                            text_[pos_] <= '7';
                 ++k)
              v = v * 8 + (text_[pos_++] - '0');
            d.strValue += static_cast<char>(v);
            break;
          }
          return fail(std::string("unknown escape `\\") + e + "` in a string default");
        }
      }
      if (peek() != c)
        return fail("unterminated string default");
      ++pos_;
      return absl::OkStatus();
    }
    if (c == '-' && pos_ + 1 < text_.size() &&
        std::isalpha(static_cast<unsigned char>(text_[pos_ + 1]))) {
      ++pos_;
      std::string word = ident(false);
      if (word != "inf" && word != "nan")
        return fail("malformed default `-" + word + "`");
      d.kind = DefaultValue::Kind::Float;
      d.floatValue = -std::strtod(word.c_str(), nullptr);
      return absl::OkStatus();
    }
    if (c == '-' || c == '.' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t start = pos_;
      if (c == '-')
        ++pos_;
      bool isFloat = false;
      while (pos_ < text_.size()) {
        char ch = text_[pos_];
        if (std::isdigit(static_cast<unsigned char>(ch))) {
          ++pos_;
        } else if (ch == '.' || ch == 'e' || ch == 'E') {
          isFloat = true;
          ++pos_;
          if ((ch == 'e' || ch == 'E') && (peek() == '-' || peek() == '+'))
            ++pos_;
        } else {
          break;
        }
      }
      std::string num(text_.substr(start, pos_ - start));
      errno = 0;
      char *end = nullptr;
      if (isFloat) {
        d.kind = DefaultValue::Kind::Float;
        d.floatValue = std::strtod(num.c_str(), &end);
      } else {
        d.kind = DefaultValue::Kind::Int;
        d.intValue = std::strtoll(num.c_str(), &end, 10);
      }
      // Underflow (a denormal such as 1e-320) is fine; overflow is not.
      bool overflow = errno == ERANGE && (!isFloat || std::isinf(d.floatValue));
      if (num.empty() || num == "-" || *end != '\0' || overflow) {
        pos_ = start;
        return fail("malformed number default `" + num + "`");
      }
      return absl::OkStatus();
    }
    std::string word = ident(false);
    if (word.empty())
      return fail("expected a default value");
    if (word == "None") {
      d.kind = DefaultValue::Kind::None;
    } else if (word == "True" || word == "False") {
      d.kind = DefaultValue::Kind::Bool;
      d.boolValue = word == "True";
    } else if (word == "inf" || word == "nan") {
      d.kind = DefaultValue::Kind::Float;
      d.floatValue = std::strtod(word.c_str(), nullptr);
    } else {
      // Enum-like defaults (contiguous_format, Mean, long): kept by name.
      d.kind = DefaultValue::Kind::Ident;
      d.strValue = word;
    }
    return absl::OkStatus();
  }
};
} // namespace

absl::StatusOr<OpSchema> parseOpSchema(std::string_view text) {
  return SchemaParser(text).parse();
}

//===----------------------------------------------------------------------------===//
// Table
//===----------------------------------------------------------------------------===//

OpSchemaTable::OpSchemaTable() = default;
OpSchemaTable::~OpSchemaTable() = default;

namespace {
// One row's columns after the schema: tags and origin.
absl::Status parseRowColumns(llvm::StringRef tags, llvm::StringRef origin, OpSchema &schema) {
  if (!tags.empty()) {
    llvm::SmallVector<llvm::StringRef, 4> parts;
    tags.split(parts, ',');
    for (llvm::StringRef t : parts)
      schema.tags.push_back(t.str());
  }
  if (origin == "libtorch")
    schema.origin = OpSchema::Origin::LibTorch;
  else if (origin == "libtorch_python")
    schema.origin = OpSchema::Origin::LibTorchPython;
  else if (origin == "python")
    schema.origin = OpSchema::Origin::Python;
  else
    return absl::InvalidArgumentError("origin must be libtorch, libtorch_python or python, "
                                      "not `" + origin.str() + "`");
  return absl::OkStatus();
}

// A row's schema and columns; the error without the line's position.
absl::StatusOr<OpSchema> parseRow(llvm::ArrayRef<llvm::StringRef> cols) {
  absl::StatusOr<OpSchema> schema = parseOpSchema(std::string_view(cols[0]));
  if (!schema.ok())
    return schema.status();
  if (absl::Status st = parseRowColumns(cols[1], cols[2], *schema); !st.ok())
    return st;
  return schema;
}
} // namespace

absl::StatusOr<std::unique_ptr<OpSchemaTable>>
OpSchemaTable::parse(std::string_view text, std::string_view sourceName) {
  return parse(text, sourceName, /*lazy=*/false);
}

absl::StatusOr<std::unique_ptr<OpSchemaTable>>
OpSchemaTable::parse(std::string_view text, std::string_view sourceName, bool lazy) {
  std::unique_ptr<OpSchemaTable> table(new OpSchemaTable());
  table->sourceName_ = std::string(sourceName);
  llvm::SmallVector<llvm::StringRef, 0> lines;
  llvm::StringRef(text.data(), text.size()).split(lines, '\n', -1, /*KeepEmpty=*/true);
  auto where = [&](size_t lineNo) {
    return std::string(sourceName) + ":" + std::to_string(lineNo) + ": ";
  };
  constexpr llvm::StringRef kVersionKey = "# torch_version: ";
  table->schemas_.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    llvm::StringRef line = lines[i].rtrim('\r');
    if (line.starts_with(kVersionKey)) {
      table->torchVersion_ = line.drop_front(kVersionKey.size()).trim().str();
      continue;
    }
    if (line.starts_with("#") || line.trim().empty())
      continue;
    llvm::SmallVector<llvm::StringRef, 3> cols;
    line.split(cols, '\t');
    if (cols.size() != 3)
      return absl::InvalidArgumentError(where(i + 1) + "expected 3 TAB-separated columns "
                                        "(schema, tags, origin), found " +
                                        std::to_string(cols.size()));
    std::string key;
    if (lazy) {
      // The name is the schema text up to its argument list ("aten::add.Tensor");
      // at() checks that the parsed schema agrees.
      key = cols[0].take_until([](char c) { return c == '('; }).trim().str();
      table->pending_.push_back({std::string_view(line.data(), line.size()), i + 1});
      table->schemas_.emplace_back();
    } else {
      absl::StatusOr<OpSchema> schema = parseRow(cols);
      if (!schema.ok())
        return absl::InvalidArgumentError(where(i + 1) + std::string(schema.status().message()));
      key = schema->fullName();
      table->schemas_.push_back(std::move(*schema));
    }
    if (!table->byFullName_.try_emplace(key, table->schemas_.size() - 1).second)
      return absl::InvalidArgumentError(where(i + 1) + "duplicate operator " + key);
  }
  if (table->torchVersion_.empty())
    return absl::InvalidArgumentError(std::string(sourceName) +
                                      ": no `# torch_version: ` header line");
  if (lazy)
    table->once_.reset(new std::once_flag[table->schemas_.size()]);
  return table;
}

const OpSchema &OpSchemaTable::at(unsigned i) const {
  if (!once_)
    return schemas_[i];
  std::call_once(once_[i], [&] {
    const Pending &p = pending_[i];
    llvm::SmallVector<llvm::StringRef, 3> cols;
    llvm::StringRef(p.line.data(), p.line.size()).split(cols, '\t');
    absl::StatusOr<OpSchema> schema = parseRow(cols);
    std::string error;
    if (!schema.ok())
      error = std::string(schema.status().message());
    else if (byFullName_.find(schema->fullName()) == byFullName_.end() ||
             byFullName_.find(schema->fullName())->second != i)
      error = "the schema's name " + schema->fullName() + " is not the row's";
    if (!error.empty())
      // The built-in table is generated and parsed whole by the test suite; a row that
      // does not parse is an internal error of this build, not a user error.
      llvm::report_fatal_error(llvm::Twine("fxir internal error: ") + sourceName_ + ":" +
                               llvm::Twine(p.lineNo) + ": " + error);
    schemas_[i] = std::move(*schema);
  });
  return schemas_[i];
}

llvm::ArrayRef<OpSchema> OpSchemaTable::all() const {
  if (once_)
    for (unsigned i = 0; i < schemas_.size(); ++i)
      at(i);
  return schemas_;
}

std::vector<std::string> OpSchemaTable::namespaces() const {
  std::vector<std::string> out;
  llvm::StringSet<> seen;
  for (const auto &e : byFullName_) {
    llvm::StringRef ns = e.getKey().split("::").first;
    if (seen.insert(ns).second)
      out.push_back(ns.str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
bool sameTypeIgnoringAlias(const SchemaType &a, const SchemaType &b) {
  if (a.kind != b.kind || a.fixedSize != b.fixedSize || a.className != b.className ||
      a.elems.size() != b.elems.size())
    return false;
  for (size_t i = 0; i < a.elems.size(); ++i)
    if (!sameTypeIgnoringAlias(a.elems[i], b.elems[i]))
      return false;
  return true;
}
} // namespace

const OpSchema *OpSchemaTable::functionalVariant(const OpSchema &inplace) const {
  llvm::SmallVector<unsigned, 2> written = inplace.writtenArguments();
  if (written.size() != 1 || inplace.name.size() < 2 || inplace.name.back() != '_' ||
      llvm::StringRef(inplace.name).starts_with("__"))
    return nullptr;
  std::string key = inplace.ns + "::" + inplace.name.substr(0, inplace.name.size() - 1);
  if (!inplace.overload.empty())
    key += "." + inplace.overload;
  auto it = byFullName_.find(key);
  if (it == byFullName_.end())
    return nullptr;
  const OpSchema &f = at(it->second);
  if (f.isMutating() || f.arguments.size() != inplace.arguments.size() || f.returns.empty())
    return nullptr;
  // A view (unsqueeze for unsqueeze_, t for t_) changes metadata, not contents: no twin.
  for (const SchemaReturn &r : f.returns)
    if (r.type.anyAlias())
      return nullptr;
  for (size_t i = 0; i < f.arguments.size(); ++i) {
    const SchemaArgument &x = f.arguments[i], &y = inplace.arguments[i];
    if (x.name != y.name || x.kwargOnly != y.kwargOnly ||
        !sameTypeIgnoringAlias(x.type, y.type) ||
        x.defaultValue.has_value() != y.defaultValue.has_value() ||
        (x.defaultValue && x.defaultValue->text != y.defaultValue->text))
      return nullptr;
  }
  return &f;
}

absl::StatusOr<const OpSchema *> OpSchemaTable::lookup(std::string_view qualifiedName,
                                                       std::string_view overload) const {
  std::string key(qualifiedName);
  if (!overload.empty() && overload != "default") {
    key += '.';
    key += overload;
  }
  auto it = byFullName_.find(key);
  if (it == byFullName_.end()) {
    std::string asWritten(qualifiedName);
    if (!overload.empty()) {
      asWritten += '.';
      asWritten += overload;
    }
    std::string msg = "operator " + asWritten +
                      " is not in fxir's operator schema table (generated from torch " +
                      torchVersion_ + ")";
    // A known operator with an unknown overload: say which overloads exist.
    std::vector<std::string> overloads;
    for (const auto &e : byFullName_) {
      auto [name, overload] = e.getKey().split('.');
      if (name == llvm::StringRef(qualifiedName.data(), qualifiedName.size()))
        overloads.push_back(overload.empty() ? "default" : overload.str());
    }
    std::sort(overloads.begin(), overloads.end());
    if (!overloads.empty())
      msg += "; its overloads are: " + llvm::join(overloads, ", ");
    return absl::NotFoundError(msg);
  }
  return &at(it->second);
}

absl::StatusOr<const OpSchema *> OpSchemaTable::lookup(std::string_view fullName) const {
  llvm::StringRef s(fullName.data(), fullName.size());
  size_t sep = s.find("::");
  size_t dot = sep == llvm::StringRef::npos ? s.find('.') : s.find('.', sep + 2);
  if (dot == llvm::StringRef::npos)
    return lookup(fullName, "");
  return lookup(std::string_view(s.take_front(dot)), std::string_view(s.drop_front(dot + 1)));
}

namespace {
// The generated file holds `static const char kBuiltinOpSchemaTable[] = R"...";`
// (ir/schemas/op_schemas.txt as one raw string literal).
#include "op_schemas.inc"
} // namespace

const OpSchemaTable &OpSchemaTable::builtin() {
  static const OpSchemaTable *table = [] {
    absl::StatusOr<std::unique_ptr<OpSchemaTable>> t =
        parse(std::string_view(kBuiltinOpSchemaTable, sizeof(kBuiltinOpSchemaTable) - 1),
              "ir/schemas/op_schemas.txt", /*lazy=*/true);
    if (!t.ok()) {
      // The table is generated and checked by the test suite; failing to parse it is
      // an internal error of this build, not a user error.
      llvm::report_fatal_error(llvm::Twine("fxir internal error: built-in operator "
                                           "schema table does not parse: ") +
                               std::string(t.status().message()));
    }
    return t->release();
  }();
  return *table;
}

} // namespace fxir
