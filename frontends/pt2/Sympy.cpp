//===- Sympy.cpp - srepr and plain sympy text to SymExpr ---------------------------===//
#include "fxir/frontends/pt2/Sympy.h"

#include <cctype>
#include <charconv>

#include "llvm/ADT/SmallVector.h"

namespace fxir::pt2 {
namespace {

class SympyParser {
public:
  SympyParser(Context &ctx, llvm::StringRef text,
              const std::function<const Symbol *(llvm::StringRef)> *lookup,
              std::vector<SympySymbolRef> *collect)
      : ctx_(ctx), text_(text), lookup_(lookup), collect_(collect) {}

  absl::StatusOr<const SymExpr *> parse() {
    if (text_.size() > kMaxTextBytes)
      return absl::InvalidArgumentError("symbolic expression of " +
                                        std::to_string(text_.size()) + " bytes is too long");
    const SymExpr *e = sum();
    skip();
    if (error_.empty() && pos_ != text_.size())
      fail("unexpected text");
    if (!error_.empty())
      return absl::InvalidArgumentError("cannot read symbolic expression `" + text_.str() +
                                        "`: " + error_);
    return e;
  }

private:
  static constexpr int kMaxDepth = 200;
  static constexpr size_t kMaxTerms = 4096;
  static constexpr size_t kMaxTextBytes = 1 << 20;
  Context &ctx_;
  llvm::StringRef text_;
  const std::function<const Symbol *(llvm::StringRef)> *lookup_;
  std::vector<SympySymbolRef> *collect_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::string error_;

  const SymExpr *fail(const std::string &msg) {
    if (error_.empty())
      error_ = msg + " at column " + std::to_string(pos_ + 1);
    pos_ = text_.size();
    return ctx_.constant(0);
  }
  void skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  bool eat(llvm::StringRef tok) {
    skip();
    if (!text_.substr(pos_).starts_with(tok))
      return false;
    pos_ += tok.size();
    return true;
  }
  std::string ident() {
    skip();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    return text_.substr(start, pos_ - start).str();
  }
  const SymExpr *integer() {
    skip();
    size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-')
      ++pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (ec != std::errc() || p != text_.data() + pos_ || pos_ == start)
      return fail("bad integer");
    return ctx_.constant(v);
  }
  const SymExpr *symbol(llvm::StringRef name, bool positive) {
    if (collect_) {
      collect_->push_back({name.str(), positive});
      return ctx_.constant(0);
    }
    const Symbol *s = (*lookup_)(name);
    if (!s)
      return fail("unknown symbol `" + name.str() + "`");
    return ctx_.sym(s);
  }

  // Plain form: sum := product (('+'|'-') product)*
  const SymExpr *sum() {
    if (++depth_ > kMaxDepth) {
      --depth_;
      return fail("expression nested too deeply");
    }
    // Terms are collected and added once: adding them one by one would renormalize
    // the growing sum each time.
    llvm::SmallVector<const SymExpr *, 8> terms{product()};
    while (error_.empty()) {
      if (terms.size() > kMaxTerms) {
        --depth_;
        return fail("expression has more than " + std::to_string(kMaxTerms) + " terms");
      }
      if (eat("+"))
        terms.push_back(product());
      else if (eat("-"))
        terms.push_back(ctx_.mul(ctx_.constant(-1), product()));
      else
        break;
    }
    --depth_;
    return terms.size() == 1 ? terms[0] : ctx_.add(terms);
  }
  // product := power (('*' | '//' | '%') power)*
  const SymExpr *product() {
    const SymExpr *acc = power();
    while (error_.empty()) {
      skip();
      if (text_.substr(pos_).starts_with("**"))
        break;
      if (eat("//"))
        acc = ctx_.floorDiv(acc, power());
      else if (eat("*"))
        acc = ctx_.mul(acc, power());
      else if (eat("%"))
        acc = ctx_.mod(acc, power());
      else
        break;
    }
    return acc;
  }
  const SymExpr *power() {
    const SymExpr *base = unary();
    if (eat("**"))
      return pow(base, unary());
    return base;
  }
  const SymExpr *pow(const SymExpr *base, const SymExpr *exp) {
    if (std::optional<int64_t> n = exp->asConst(); n && *n >= 0 && *n <= 8) {
      const SymExpr *acc = ctx_.constant(1);
      for (int64_t i = 0; i < *n; ++i)
        acc = ctx_.mul(acc, base);
      return acc;
    }
    return ctx_.call("Pow", {base, exp});
  }
  const SymExpr *unary() {
    skip();
    // A run of unary minuses is counted, not recursed into.
    bool negate = false;
    while (eat("-"))
      negate = !negate;
    if (negate)
      return ctx_.mul(ctx_.constant(-1), unary());
    if (eat("(")) {
      const SymExpr *e = sum();
      if (!eat(")"))
        return fail("expected `)`");
      return e;
    }
    if (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
      return integer();
    std::string name = ident();
    if (name.empty())
      return fail("expected an expression");
    skip();
    if (pos_ < text_.size() && text_[pos_] == '(')
      return call(name);
    return symbol(name, false);
  }

  // `Name(args)`: srepr constructors and plain-form functions alike.
  const SymExpr *call(const std::string &name) {
    eat("(");
    if (name == "Integer") {
      const SymExpr *v = integer();
      if (!eat(")"))
        return fail("expected `)` after Integer");
      return v;
    }
    if (name == "Symbol") {
      skip();
      if (!eat("'"))
        return fail("expected a quoted symbol name");
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != '\'')
        ++pos_;
      std::string sym = text_.substr(start, pos_ - start).str();
      if (!eat("'"))
        return fail("unterminated symbol name");
      bool positive = false;
      // Assumptions: positive=True, integer=True, nonnegative=True, ...
      while (eat(",")) {
        std::string key = ident();
        if (!eat("="))
          return fail("expected `=` in a symbol assumption");
        std::string value = ident();
        if ((key == "positive" || key == "nonnegative") && value == "True")
          positive = true;
      }
      if (!eat(")"))
        return fail("expected `)` after Symbol");
      return symbol(sym, positive);
    }
    llvm::SmallVector<const SymExpr *, 4> args;
    skip();
    if (!eat(")")) {
      do
        args.push_back(sum());
      while (error_.empty() && eat(","));
      if (!eat(")"))
        return fail("expected `,` or `)` in " + name + "(...)");
    }
    if (!error_.empty())
      return ctx_.constant(0);
    if (name == "Add")
      return args.empty() ? ctx_.constant(0) : ctx_.add(args);
    if (name == "Mul")
      return args.empty() ? ctx_.constant(1) : ctx_.mul(args);
    if ((name == "FloorDiv") && args.size() == 2)
      return ctx_.floorDiv(args[0], args[1]);
    if ((name == "Mod" || name == "PythonMod") && args.size() == 2)
      return ctx_.mod(args[0], args[1]);
    if (name == "Max" && !args.empty())
      return ctx_.max(args);
    if (name == "Min" && !args.empty())
      return ctx_.min(args);
    if (name == "Pow" && args.size() == 2)
      return pow(args[0], args[1]);
    return ctx_.call(name, args);
  }
};

} // namespace

void collectSympySymbols(llvm::StringRef text, std::vector<SympySymbolRef> &out) {
  Context scratch;
  SympyParser(scratch, text, nullptr, &out).parse().IgnoreError();
}

absl::StatusOr<const SymExpr *>
parseSympy(Context &ctx, llvm::StringRef text,
           const std::function<const Symbol *(llvm::StringRef)> &lookup) {
  return SympyParser(ctx, text, &lookup, nullptr).parse();
}

} // namespace fxir::pt2
