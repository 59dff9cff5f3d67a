//===- ReaderSymbols.cpp - shape symbols, ranges and hints -------------------------===//
// (The Reader class is in ReaderImpl.h.)
//===----------------------------------------------------------------------------===//
#include "fxir/frontends/pt2/ReaderImpl.h"

#include "fxir/frontends/pt2/Sympy.h"

namespace fxir::pt2::detail {

void Reader::collectExprs(J v, std::vector<ExprSeen> &out, int depth) {
  if (depth > 200)
    fail(entry_ + ": JSON nested too deeply");
  simdjson::dom::object o;
  simdjson::dom::array a;
  if (!v.get(o)) {
    if (auto es = field(v, "expr_str")) {
      std::optional<int64_t> hint;
      if (auto h = field(v, "hint"))
        if (auto hi = field(*h, "as_int"))
          hint = integer(*hi);
      out.push_back({str(*es), hint});
      return;
    }
    for (auto [k, val] : o)
      collectExprs(val, out, depth + 1);
  } else if (!v.get(a)) {
    for (J e : a)
      collectExprs(e, out, depth + 1);
  }
}

void Reader::declareSymbols() {
  std::vector<ExprSeen> exprs;
  collectExprs(*field(root_, "graph_module"), exprs, 0);
  struct Info {
    bool positive = false;
    std::optional<int64_t> hint;
    bool sawHint = false;
  };
  std::map<std::string, Info> syms;
  for (const ExprSeen &e : exprs) {
    std::vector<SympySymbolRef> refs;
    llvm::StringRef text(e.text.data(), e.text.size());
    collectSympySymbols(text, refs);
    for (const SympySymbolRef &r : refs) {
      Info &info = syms[r.name];
      info.positive |= r.positive;
      info.sawHint |= e.hint.has_value();
    }
    // A bare symbol with a hint gives the symbol's hint.
    if (refs.size() == 1 && e.hint && text.trim().starts_with("Symbol"))
      syms[refs[0].name].hint = e.hint;
    else if (refs.size() == 1 && e.hint && text.trim() == refs[0].name)
      syms[refs[0].name].hint = e.hint;
  }
  // Ranges: range_constraints keys are plain forms; a bare symbol gives its range.
  std::map<std::string, std::pair<std::optional<int64_t>, std::optional<int64_t>>> ranges;
  if (auto rc = field(root_, "range_constraints")) {
    simdjson::dom::object o;
    if (!rc->get(o))
      for (auto [k, val] : o) {
        std::string key(k);
        std::optional<int64_t> lo, hi;
        if (auto m = field(val, "min_val"))
          lo = integer(*m);
        if (auto m = field(val, "max_val"))
          hi = integer(*m);
        ranges[key] = {lo, hi};
      }
  }
  for (auto &[name, info] : syms) {
    std::optional<int64_t> lo = info.positive ? std::optional<int64_t>(1) : std::nullopt, hi;
    if (auto it = ranges.find(name); it != ranges.end()) {
      lo = it->second.first;
      hi = it->second.second;
    }
    // A symbol never seen in an expression with a hint is data-dependent (unbacked).
    bool unbacked = !info.hint && !info.sawHint;
    std::optional<int64_t> hint = info.hint;
    if (hint && ((lo && *hint < *lo) || (hi && *hint > *hi)))
      fail(entry_ + ": symbol " + name + " has hint " + std::to_string(*hint) +
           " outside its range_constraints");
    if (lo && hi && *lo > *hi)
      fail(entry_ + ": range_constraints give symbol " + name + " the empty range [" +
           std::to_string(*lo) + ", " + std::to_string(*hi) + "]");
    absl::StatusOr<const Symbol *> s = ctx_.declareSymbol(name, lo, hi, hint, unbacked);
    if (!s.ok())
      fail(entry_ + ": " + std::string(s.status().message()));
  }
}

const SymExpr *Reader::symExprOf(J symInt, const std::string &what) {
  auto [k, v] = unionKey(symInt);
  if (k == "as_int") {
    std::optional<int64_t> i = integer(v);
    if (!i)
      fail(entry_ + ": " + what + ": bad integer");
    return ctx_.constant(*i);
  }
  if (k == "as_expr") {
    std::string_view es = strField(v, "expr_str");
    absl::StatusOr<const SymExpr *> e =
        parseSympy(ctx_, llvm::StringRef(es.data(), es.size()),
                   [&](llvm::StringRef n) { return ctx_.lookupSymbol(n); });
    if (!e.ok())
      fail(entry_ + ": " + what + ": " + std::string(e.status().message()));
    return *e;
  }
  fail(entry_ + ": " + what + ": expected a SymInt ({as_int} or {as_expr}), found `" +
       std::string(k) + "`");
}

} // namespace fxir::pt2::detail
